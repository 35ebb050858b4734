#pragma once

namespace reef::engine {

// Cores this process may run on (its CPU affinity, which respects taskset and cgroup cpusets).
int availableCores();
// Sets LibTorch's intra-op thread count (and so OpenBLAS's OpenMP pool): `requested`, or every
// available core when it is 0. LibTorch starts with one thread otherwise. Returns the count set.
int configureThreads(int requested);

}  // namespace reef::engine

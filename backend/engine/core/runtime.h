#pragma once
// Process-wide settings that training speed depends on: LibTorch's thread count and how the C
// library's allocator recycles tensor buffers.

#include <torch/torch.h>

namespace reef::engine {

// Cores this process may run on (its CPU affinity, which respects taskset and cgroup cpusets).
int availableCores();

// Sets LibTorch's intra-op thread count (and so OpenBLAS's OpenMP pool) to `requested`, or to
// every available core when it is 0 (LibTorch starts with one here), and tunes the allocator
// (below). Returns the thread count set.
int configureRuntime(int requested);

// glibc serves blocks above a dynamic threshold with fresh mmap()s and trims freed heap back to
// the OS, so every training step page-faults its activation buffers in again (measured: the CNN
// step spends a third of its time zero-filling such pages). Raising both thresholds keeps freed
// buffers for reuse, as the jemalloc/tcmalloc preloads that PyTorch users reach for do.
void tuneAllocatorForTraining();

// This machine's dense matrix-multiply rate (GFLOP/s) on `device` in `dtype`, measured for about
// a third of a second: the denominator of model FLOPs utilisation.
double matmulGflops(const torch::Device& device, torch::ScalarType dtype);

}  // namespace reef::engine

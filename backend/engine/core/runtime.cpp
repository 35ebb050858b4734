#include "core/runtime.h"

#include <malloc.h>
#include <sched.h>

#include <algorithm>
#include <thread>

#include <torch/torch.h>

namespace reef::engine {

int availableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void tuneAllocatorForTraining() {
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's ceiling on 64-bit
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
}

int configureRuntime(int requested) {
  const int n = requested > 0 ? requested : availableCores();
  torch::set_num_threads(n);
  tuneAllocatorForTraining();
  return n;
}

}  // namespace reef::engine

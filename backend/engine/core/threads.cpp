#include "core/threads.h"

#include <sched.h>

#include <thread>

#include <torch/torch.h>

namespace reef::engine {

int availableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return CPU_COUNT(&set);
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

int configureThreads(int requested) {
  const int n = requested > 0 ? requested : availableCores();
  torch::set_num_threads(n);
  return n;
}

}  // namespace reef::engine

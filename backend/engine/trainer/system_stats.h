#pragma once
// Samples of this process's CPU use and memory, and the machine's memory in use, for `system`
// events (from /proc), with each GPU's utilisation and memory where nvidia-smi reports them
// (GpuStats). The run index stores them as system/<field> metrics.
#include "backend/engine/trainer/gpu_stats.h"
#include "backend/protocol/json.h"

#include <chrono>

namespace reef::engine {

class SystemStats {
 public:
  // Often enough for a plot of a minutes-long run; a line of about 100 bytes each time.
  static constexpr double kIntervalSeconds = 10;
  // The first comes sooner, so that a short run has one.
  static constexpr double kFirstSampleSeconds = 2;

  explicit SystemStats(std::string gpuProgram = "nvidia-smi");
  // {"step", "cpu_percent", "rss_mb", "threads", "mem_used_percent"} and, with a GPU, the fields
  // of GpuStats (from the query started at the previous sample); cpu_percent is since the last
  // sample, 100 per fully busy core.
  Json sample(int64_t step);

 private:
  GpuStats gpus_;
  double lastCpuSeconds_;
  std::chrono::steady_clock::time_point lastTime_;
};

}  // namespace reef::engine

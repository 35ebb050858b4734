#pragma once
// Samples of this process's CPU use and memory, and the machine's memory in use, for `system`
// events (from /proc). The run index stores them as system/<field> metrics.
#include "backend/protocol/json.h"

#include <chrono>

namespace reef::engine {

class SystemStats {
 public:
  // Often enough for a plot of a minutes-long run; a line of about 100 bytes each time.
  static constexpr double kIntervalSeconds = 10;
  // The first comes sooner, so that a short run has one.
  static constexpr double kFirstSampleSeconds = 2;

  SystemStats();
  // {"step", "cpu_percent", "rss_mb", "threads", "mem_used_percent"}; cpu_percent is since the
  // last sample, 100 per fully busy core.
  Json sample(int64_t step);

 private:
  double lastCpuSeconds_;
  std::chrono::steady_clock::time_point lastTime_;
};

}  // namespace reef::engine

#pragma once
// Samples of this process's CPU use and memory for `system` events (from /proc).
#include "backend/protocol/json.h"

#include <chrono>

namespace reef::engine {

class SystemStats {
 public:
  SystemStats();
  // {"cpu_percent": ..., "rss_mb": ..., "threads": ...}; cpu_percent is since the last sample,
  // 100 per fully busy core.
  Json sample();

 private:
  double lastCpuSeconds_;
  std::chrono::steady_clock::time_point lastTime_;
};

}  // namespace reef::engine

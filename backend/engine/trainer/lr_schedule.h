#pragma once
#include "backend/engine/trainer/settings.h"

#include <cstdint>

namespace reef::engine {

// Linear warm-up from 0 to lr over warmupSteps, then constant, cosine or linear decay to
// lr * minLrRatio at totalSteps. `step` counts optimizer steps taken so far (0-based).
class LrSchedule {
 public:
  LrSchedule(const OptimSettings& settings, int64_t totalSteps);
  double at(int64_t step) const;

 private:
  double lr_, minLr_;
  int64_t warmup_, total_;
  enum class Kind { Constant, Cosine, Linear } kind_;
};

}  // namespace reef::engine

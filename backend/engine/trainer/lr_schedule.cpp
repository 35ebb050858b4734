#include "backend/engine/trainer/lr_schedule.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace reef::engine {

LrSchedule::LrSchedule(const OptimSettings& s, int64_t totalSteps)
    : lr_(s.lr), minLr_(s.lr * s.minLrRatio), warmup_(s.warmupSteps), total_(totalSteps) {
  if (s.schedule == "constant")
    kind_ = Kind::Constant;
  else if (s.schedule == "cosine")
    kind_ = Kind::Cosine;
  else if (s.schedule == "linear")
    kind_ = Kind::Linear;
  else
    throw std::invalid_argument("optim.schedule: unknown schedule '" + s.schedule + "'");
}

double LrSchedule::at(int64_t step) const {
  if (step < warmup_) return lr_ * static_cast<double>(step + 1) / static_cast<double>(warmup_);
  if (kind_ == Kind::Constant) return lr_;
  const int64_t span = std::max<int64_t>(1, total_ - warmup_);
  const double progress = std::clamp(static_cast<double>(step - warmup_) / static_cast<double>(span), 0.0, 1.0);
  const double factor = kind_ == Kind::Cosine ? 0.5 * (1 + std::cos(M_PI * progress)) : 1 - progress;
  return minLr_ + (lr_ - minLr_) * factor;
}

}  // namespace reef::engine

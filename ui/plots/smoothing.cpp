#include "ui/plots/smoothing.h"

#include <cmath>

namespace reef::ui {

double EmaSmoother::push(double value) {
  if (!std::isfinite(value)) return NAN;
  last_ = last_ * weight_ + (1 - weight_) * value;
  debias_ = debias_ * weight_ + (1 - weight_);
  return debias_ > 0 ? last_ / debias_ : value;
}

std::vector<double> smoothEma(const std::vector<double>& values, double weight) {
  EmaSmoother s(weight);
  std::vector<double> out;
  out.reserve(values.size());
  for (double v : values) out.push_back(s.push(v));
  return out;
}

}  // namespace reef::ui

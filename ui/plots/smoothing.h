#pragma once
// TensorBoard's smoothing: an exponential moving average debiased for its start, so the first
// points are not dragged towards zero. weight 0 leaves the series unchanged; 0.99 is very smooth.
// Non-finite values pass through as NaN and do not disturb the average.
#include <vector>

namespace reef::ui {

class EmaSmoother {
 public:
  explicit EmaSmoother(double weight) : weight_(weight) {}
  double push(double value);

 private:
  double weight_;
  double last_ = 0;
  double debias_ = 0;
};

std::vector<double> smoothEma(const std::vector<double>& values, double weight);

}  // namespace reef::ui

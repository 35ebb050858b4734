#pragma once
// The density model of the TPE sampler (Bergstra et al. 2011): a weighted mixture of one kernel
// per observation plus a wide prior. Numbers use truncated normal kernels in the dimension's
// internal space (log for log scales); bandwidths follow each point's distance to its neighbours,
// clipped ("magic clip") so that no kernel is narrower than the range over min(100, n + 1).
// Categories use a smoothed histogram.
#include "backend/sweep/rng.h"

#include <cstddef>
#include <optional>
#include <vector>

namespace reef::sweep {

class ParzenEstimator {
 public:
  // Kernels at `points` inside [low, high], weighted by `weights` (one per point), plus the prior.
  static ParzenEstimator numeric(const std::vector<double>& points, const std::vector<double>& weights, double low,
                                 double high);
  // A histogram over `choices` categories of the observed `indices`, smoothed by the prior.
  static ParzenEstimator categorical(const std::vector<size_t>& indices, const std::vector<double>& weights,
                                     size_t choices);

  // A draw: an internal-space number, or a category index.
  double sample(Rng& rng) const;
  // log density at x; with `bin`, the log probability of [x - bin/2, x + bin/2] (integer and
  // stepped dimensions); for categories, the log probability of index x.
  double logDensity(double x, std::optional<double> bin = std::nullopt) const;

  // Only for tests: the kernels.
  const std::vector<double>& mus() const { return mus_; }
  const std::vector<double>& sigmas() const { return sigmas_; }

 private:
  bool categorical_ = false;
  double low_ = 0, high_ = 1;
  std::vector<double> mus_, sigmas_, weights_;  // numeric kernels (weights sum to 1)
  std::vector<double> probabilities_;           // categories
};

// Optuna's default weights for n observations in trial order: the 25 newest weigh 1, older ones
// ramp down linearly to 1/n.
std::vector<double> recencyWeights(size_t n);

}  // namespace reef::sweep

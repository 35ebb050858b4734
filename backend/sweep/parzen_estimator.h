#pragma once
// The density model of the TPE sampler (Bergstra et al. 2011): a weighted mixture of one kernel
// per observation plus a wide prior. Numbers use truncated normal kernels in the dimension's
// internal space (log for log scales); univariate bandwidths follow each point's distance to its
// neighbours, multivariate ones are one width for all (Scott's rule, as Optuna's multivariate
// TPE), both clipped ("magic clip") so that no kernel is narrower than the range over
// min(100, n + 1). A category kernel is its observation smoothed by the prior.
#include "backend/sweep/rng.h"

#include <cstddef>
#include <optional>
#include <vector>

namespace reef::sweep {

class ParzenEstimator {
 public:
  // Kernels at `points` inside [low, high], weighted by `weights` (one per point), plus the prior;
  // with `sigma`, every kernel has that width (before clipping).
  static ParzenEstimator numeric(const std::vector<double>& points, const std::vector<double>& weights, double low,
                                 double high, std::optional<double> sigma = std::nullopt);
  // Kernels at the observed category `indices` of `choices` categories, plus the uniform prior.
  static ParzenEstimator categorical(const std::vector<size_t>& indices, const std::vector<double>& weights,
                                     size_t choices);

  // A draw: an internal-space number, or a category index.
  double sample(Rng& rng) const { return sampleKernel(pickComponent(rng), rng); }
  // log density at x; with `bin`, the log probability of [x - bin/2, x + bin/2] (integer and
  // stepped dimensions); for categories, the log probability of index x.
  double logDensity(double x, std::optional<double> bin = std::nullopt) const;

  // The mixture's parts (the prior is the last), for joint models over several dimensions built
  // from the same observations and weights.
  size_t components() const { return weights_.size(); }
  double logWeight(size_t k) const;
  size_t pickComponent(Rng& rng) const;
  double sampleKernel(size_t k, Rng& rng) const;
  double logKernel(size_t k, double x, std::optional<double> bin = std::nullopt) const;

  // Only for tests: the kernels.
  const std::vector<double>& mus() const { return mus_; }
  const std::vector<double>& sigmas() const { return sigmas_; }

 private:
  bool categorical_ = false;
  double low_ = 0, high_ = 1;
  size_t choices_ = 0;
  std::vector<double> mus_, sigmas_;  // numeric kernels; category kernels: mus_ holds the index
  std::vector<double> weights_;       // sum to 1
};

// The log density at `x` (one value per estimator) of the joint mixture whose k-th component is
// the product of the estimators' k-th kernels: estimators built from the same observations with
// the same weights, one per dimension (multivariate TPE).
double jointLogDensity(const std::vector<ParzenEstimator>& dims, const std::vector<double>& x,
                       const std::vector<std::optional<double>>& bins);

// Optuna's default weights for n observations in trial order: the 25 newest weigh 1, older ones
// ramp down linearly to 1/n.
std::vector<double> recencyWeights(size_t n);

}  // namespace reef::sweep

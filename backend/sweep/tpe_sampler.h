#pragma once
// The Tree-structured Parzen Estimator (Bergstra et al. 2011), as Optuna implements the idea:
// after `startupTrials` random trials, the finished trials are split into the best gamma(n) =
// min(ceil(n / 10), 25) ("good") and the rest; each dimension gets one density from the good
// trials' values and one from the rest; 24 candidates drawn from the good density are scored by
// the ratio of the two, and the best is taken. Multivariate (the default, Falkner et al. 2018 as
// Optuna's `multivariate=True`): the dimensions without a condition are modelled jointly, one
// kernel per trial spanning all of them, so settings that only work together are proposed
// together; conditional dimensions, and every dimension when not multivariate, are modelled
// independently from the trials where they were present. Trials stopped early rank after
// completed ones, those that went further first.
#include "backend/sweep/rng.h"
#include "backend/sweep/sampler.h"

namespace reef::sweep {

class TpeSampler : public Sampler {
 public:
  TpeSampler(SearchSpace space, Objective metric, uint64_t seed, int startupTrials, bool multivariate)
      : space_(std::move(space)),
        metric_(std::move(metric)),
        seed_(seed),
        startupTrials_(startupTrials),
        multivariate_(multivariate) {}

  static constexpr int kCandidates = 24;

 protected:
  std::optional<Assignment> candidate(const std::vector<Trial>& history, int attempt) override;

 private:
  // The trials that inform the model, best first.
  std::vector<const Trial*> ranked(const std::vector<Trial>& history) const;
  Json sampleDimension(const Dimension& d, const std::vector<const Trial*>& good, const std::vector<const Trial*>& bad,
                       Rng& rng) const;
  // Proposes the dimensions without a condition jointly, into `a`.
  void sampleJointly(const std::vector<const Trial*>& good, const std::vector<const Trial*>& bad, Rng& rng,
                     Assignment& a) const;

  SearchSpace space_;
  Objective metric_;
  uint64_t seed_;
  int startupTrials_;
  bool multivariate_;
};

}  // namespace reef::sweep

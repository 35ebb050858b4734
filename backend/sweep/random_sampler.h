#pragma once
// Random search, and its quasi-random form: a Halton sequence (a prime base per dimension) with a
// random shift per dimension (Cranley-Patterson rotation), which covers the space more evenly
// than independent draws for the same number of trials.
#include "backend/sweep/sampler.h"

namespace reef::sweep {

class RandomSampler : public Sampler {
 public:
  RandomSampler(SearchSpace space, uint64_t seed, bool quasi) : space_(std::move(space)), seed_(seed), quasi_(quasi) {}

 protected:
  std::optional<Assignment> candidate(const std::vector<Trial>& history, int attempt) override;

 private:
  SearchSpace space_;
  uint64_t seed_;
  bool quasi_;
};

// The radical inverse of `index` in `base`: the index's digits mirrored behind the point.
double radicalInverse(uint64_t index, uint64_t base);
// The n-th prime, from 0 (2, 3, 5, ...).
uint64_t nthPrime(size_t n);

}  // namespace reef::sweep

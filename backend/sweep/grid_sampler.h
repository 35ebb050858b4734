#pragma once
// Grid search: every combination of the dimensions' values, in order.
#include "backend/sweep/sampler.h"

namespace reef::sweep {

class GridSampler : public Sampler {
 public:
  explicit GridSampler(const SearchSpace& space) : points_(space.grid()) {}

 protected:
  std::optional<Assignment> candidate(const std::vector<Trial>& history, int attempt) override;

 private:
  std::vector<Assignment> points_;
};

}  // namespace reef::sweep

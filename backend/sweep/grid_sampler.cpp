#include "backend/sweep/grid_sampler.h"

#include <set>

namespace reef::sweep {

std::optional<Assignment> GridSampler::candidate(const std::vector<Trial>& history, int) {
  std::set<std::string> seen;
  for (const auto& t : history)
    if (t.counts()) seen.insert(SearchSpace::canonical(t.params));
  for (const auto& p : points_)
    if (!seen.count(SearchSpace::canonical(p))) return p;
  return std::nullopt;
}

}  // namespace reef::sweep

#pragma once
// Which parameters matter for the sweep's metric: a random forest (bagged regression trees) fitted
// to the completed trials, scored by permutation importance (Breiman 2001): how much each tree's
// error on the trials it did not see grows when one parameter's values are shuffled among them.
// Parameters enter on their unit scale (log for log ranges, index for lists); an absent
// conditional parameter is -1, so the trees can split it off.
#include "backend/sweep/search_space.h"
#include "backend/sweep/trial.h"

#include <string>
#include <vector>

namespace reef::sweep {

struct ParameterImportance {
  std::string key;
  double importance = 0;  // share of the total, the shares sum to 1 (all 0 when nothing matters)
};

// In the space's order; empty with fewer than 4 completed trials.
std::vector<ParameterImportance> parameterImportance(const SearchSpace& space, const std::vector<Trial>& trials,
                                                     uint64_t seed = 0, int trees = 64);

}  // namespace reef::sweep

#include "backend/sweep/sampler.h"

#include "backend/sweep/grid_sampler.h"
#include "backend/sweep/random_sampler.h"
#include "backend/sweep/tpe_sampler.h"

#include <set>

namespace reef::sweep {

namespace {
// Enough to find a new point of any space that still has a few percent of it unused.
constexpr int kAttempts = 200;
}  // namespace

std::optional<Assignment> Sampler::propose(const std::vector<Trial>& history) {
  std::set<std::string> seen;
  for (const auto& t : history)
    if (t.counts()) seen.insert(SearchSpace::canonical(t.params));
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    std::optional<Assignment> c = candidate(history, attempt);
    if (!c) return std::nullopt;
    if (!seen.count(SearchSpace::canonical(*c))) return c;
  }
  return std::nullopt;
}

std::unique_ptr<Sampler> makeSampler(const SweepSpec& sweep) {
  switch (sweep.method) {
    case Method::Grid:
      return std::make_unique<GridSampler>(sweep.space);
    case Method::Random:
      return std::make_unique<RandomSampler>(sweep.space, sweep.seed, false);
    case Method::QuasiRandom:
      return std::make_unique<RandomSampler>(sweep.space, sweep.seed, true);
    case Method::Tpe:
      return std::make_unique<TpeSampler>(sweep.space, sweep.metric, sweep.seed, sweep.startupTrials,
                                          sweep.multivariate);
  }
  return nullptr;
}

}  // namespace reef::sweep

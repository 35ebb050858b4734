#include "backend/sweep/tpe_sampler.h"

#include "backend/sweep/parzen_estimator.h"

#include <algorithm>
#include <cmath>

namespace reef::sweep {

namespace {

// Where a dimension's values live for the kernels: log for log scales, widened by half a step for
// integer and stepped ranges so that each value owns an equal interval.
struct Internal {
  double low, high;
  std::optional<double> bin;
};

Internal internalRange(const Dimension& d) {
  const double step = d.q ? *d.q : (d.integer() ? 1.0 : 0.0);
  if (d.logScale()) {
    if (step > 0) return {std::log(d.min - step / 2), std::log(d.max + step / 2), std::nullopt};
    return {std::log(d.min), std::log(d.max), std::nullopt};
  }
  if (step > 0) return {d.min - step / 2, d.max + step / 2, step};
  return {d.min, d.max, std::nullopt};
}

double toInternal(const Dimension& d, const Json& v) {
  return d.logScale() ? std::log(v.get<double>()) : v.get<double>();
}

// The trials of `group` where `d` was present, oldest first, with their recency weights.
std::vector<const Trial*> withDimension(const std::vector<const Trial*>& group, const Dimension& d) {
  std::vector<const Trial*> out;
  for (const Trial* t : group)
    if (t->params.contains(d.key)) out.push_back(t);
  std::sort(out.begin(), out.end(), [](const Trial* a, const Trial* b) { return a->number < b->number; });
  return out;
}

ParzenEstimator estimator(const Dimension& d, const std::vector<const Trial*>& trials) {
  const std::vector<double> weights = recencyWeights(trials.size());
  if (!d.numeric()) {
    std::vector<size_t> indices;
    for (const Trial* t : trials) {
      const auto it = std::find(d.values.begin(), d.values.end(), t->params[d.key]);
      indices.push_back(it == d.values.end() ? 0 : static_cast<size_t>(it - d.values.begin()));
    }
    return ParzenEstimator::categorical(indices, weights, d.values.size());
  }
  const Internal r = internalRange(d);
  std::vector<double> points;
  for (const Trial* t : trials) points.push_back(std::clamp(toInternal(d, t->params[d.key]), r.low, r.high));
  return ParzenEstimator::numeric(points, weights, r.low, r.high);
}

}  // namespace

std::vector<const Trial*> TpeSampler::ranked(const std::vector<Trial>& history) const {
  std::vector<const Trial*> out;
  for (const auto& t : history)
    if ((t.status == TrialStatus::Completed || t.status == TrialStatus::Stopped) && t.value && std::isfinite(*t.value))
      out.push_back(&t);
  std::stable_sort(out.begin(), out.end(), [this](const Trial* a, const Trial* b) {
    const bool aDone = a->status == TrialStatus::Completed, bDone = b->status == TrialStatus::Completed;
    if (aDone != bDone) return aDone;
    if (!aDone && a->steps != b->steps) return a->steps > b->steps;
    return metric_.better(*a->value, *b->value);
  });
  return out;
}

Json TpeSampler::sampleDimension(const Dimension& d, const std::vector<const Trial*>& good,
                                 const std::vector<const Trial*>& bad, Rng& rng) const {
  const auto goodD = withDimension(good, d), badD = withDimension(bad, d);
  const ParzenEstimator l = estimator(d, goodD), g = estimator(d, badD);
  const Internal r = internalRange(d);
  Json best;
  double bestScore = -INFINITY;
  for (int c = 0; c < kCandidates; ++c) {
    const double x = l.sample(rng);
    Json value;
    double at = x;  // where the densities are compared: the value actually proposed
    if (!d.numeric()) {
      value = d.values[static_cast<size_t>(x)];
    } else {
      value = d.snap(d.logScale() ? std::exp(x) : x);
      at = toInternal(d, value);
    }
    const double score = l.logDensity(at, r.bin) - g.logDensity(at, r.bin);
    if (score > bestScore) bestScore = score, best = value;
  }
  return best;
}

std::optional<Assignment> TpeSampler::candidate(const std::vector<Trial>& history, int attempt) {
  const std::vector<const Trial*> trials = ranked(history);
  Rng rng(seed_ ^ 0x7e5, history.size(), static_cast<uint64_t>(attempt));
  // Until the model has data (or when it keeps proposing what has run), draw at random.
  const bool random = static_cast<int>(trials.size()) < std::max(startupTrials_, 2) || attempt >= 8;
  const size_t nGood = std::min<size_t>(static_cast<size_t>(std::ceil(0.1 * static_cast<double>(trials.size()))), 25);
  const std::vector<const Trial*> good(trials.begin(), trials.begin() + static_cast<long>(nGood));
  const std::vector<const Trial*> bad(trials.begin() + static_cast<long>(nGood), trials.end());
  Assignment a = Json::object();
  for (const auto& d : space_.dimensions()) {
    if (!SearchSpace::active(d, a)) continue;
    a[d.key] = random ? d.fromUnit(rng.uniform()) : sampleDimension(d, good, bad, rng);
  }
  return a;
}

}  // namespace reef::sweep

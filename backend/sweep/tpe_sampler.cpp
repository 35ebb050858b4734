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

// With `width` (a share of the range), every numeric kernel has that width: the joint model's.
ParzenEstimator estimator(const Dimension& d, const std::vector<const Trial*>& trials,
                          std::optional<double> width = std::nullopt) {
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
  return ParzenEstimator::numeric(points, weights, r.low, r.high,
                                  width ? std::optional<double>(*width * (r.high - r.low)) : std::nullopt);
}

// A draw `x` of the model as the value proposed, and where the densities judge it (the proposed
// value's internal position, after snapping to the dimension's steps).
std::pair<Json, double> proposal(const Dimension& d, double x) {
  if (!d.numeric()) return {d.values[static_cast<size_t>(x)], x};
  Json value = d.snap(d.logScale() ? std::exp(x) : x);
  const double at = toInternal(d, value);
  return {value, at};
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
  const ParzenEstimator l = estimator(d, withDimension(good, d)), g = estimator(d, withDimension(bad, d));
  const Internal r = internalRange(d);
  Json best;
  double bestScore = -INFINITY;
  for (int c = 0; c < kCandidates; ++c) {
    const auto [value, at] = proposal(d, l.sample(rng));
    const double score = l.logDensity(at, r.bin) - g.logDensity(at, r.bin);
    if (score > bestScore) bestScore = score, best = value;
  }
  return best;
}

void TpeSampler::sampleJointly(const std::vector<const Trial*>& good, const std::vector<const Trial*>& bad, Rng& rng,
                               Assignment& a) const {
  std::vector<const Dimension*> dims;
  for (const auto& d : space_.dimensions())
    if (d.when.empty()) dims.push_back(&d);
  if (dims.size() < 2) return;
  // Scott's rule for the kernels' width, as Optuna's multivariate TPE: 0.2 n^(-1/(D+4)) of the range.
  auto width = [&](size_t n) { return 0.2 * std::pow(std::max<double>(1, n), -1.0 / (dims.size() + 4.0)); };
  const auto goodT = withDimension(good, *dims[0]), badT = withDimension(bad, *dims[0]);
  std::vector<ParzenEstimator> l, g;
  std::vector<std::optional<double>> bins;
  for (const Dimension* d : dims) {
    l.push_back(estimator(*d, goodT, width(goodT.size())));
    g.push_back(estimator(*d, badT, width(badT.size())));
    bins.push_back(internalRange(*d).bin);
  }
  Assignment best;
  double bestScore = -INFINITY;
  for (int c = 0; c < kCandidates; ++c) {
    const size_t k = l.front().pickComponent(rng);  // one observation's kernels in every dimension
    Assignment candidate = Json::object();
    std::vector<double> at;
    for (size_t i = 0; i < dims.size(); ++i) {
      const auto [value, where] = proposal(*dims[i], l[i].sampleKernel(k, rng));
      candidate[dims[i]->key] = value;
      at.push_back(where);
    }
    const double score = jointLogDensity(l, at, bins) - jointLogDensity(g, at, bins);
    if (score > bestScore) bestScore = score, best = candidate;
  }
  for (const auto& [key, value] : best.items()) a[key] = value;
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
  if (multivariate_ && !random) sampleJointly(good, bad, rng, a);
  for (const auto& d : space_.dimensions()) {
    if (a.contains(d.key) || !SearchSpace::active(d, a)) continue;
    a[d.key] = random ? d.fromUnit(rng.uniform()) : sampleDimension(d, good, bad, rng);
  }
  return a;
}

}  // namespace reef::sweep

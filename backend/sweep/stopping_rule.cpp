#include "backend/sweep/stopping_rule.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace reef::sweep {

namespace {

// a better than b, non-finite values last.
bool better(const Objective& m, double a, double b) {
  if (!std::isfinite(a)) return false;
  if (!std::isfinite(b)) return true;
  return m.better(a, b);
}

int64_t firstStep(const EarlyTerminate& e, int64_t stepsPerEpoch) {
  if (e.minSteps > 0) return e.minSteps;
  return stepsPerEpoch > 0 ? static_cast<int64_t>(std::llround(e.minEpochs * static_cast<double>(stepsPerEpoch))) : 0;
}

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", v);
  return text;
}

class Asha : public StoppingRule {
 public:
  Asha(EarlyTerminate e, Objective m) : e_(e), m_(std::move(m)) {}

  StopDecision judge(std::vector<Trial>& trials, size_t index, int64_t stepsPerEpoch) const override {
    Trial& trial = trials[index];
    const int64_t first = firstStep(e_, stepsPerEpoch);
    if (first <= 0) return {};
    const auto rungs = ashaRungs(first, e_.eta, e_.maxSteps);
    for (size_t k = 0; k < rungs.size(); ++k) {
      if (trial.rungs.count(static_cast<int>(k))) continue;
      const auto at = trial.reports.lower_bound(rungs[k]);
      if (at == trial.reports.end()) break;
      const double value = at->second;
      trial.rungs[static_cast<int>(k)] = value;
      size_t competitors = 0, ahead = 0;
      for (const auto& other : trials) {
        const auto it = other.rungs.find(static_cast<int>(k));
        if (it == other.rungs.end()) continue;
        ++competitors;
        if (other.number != trial.number && better(m_, it->second, value)) ++ahead;
      }
      const size_t keep = std::max<size_t>(1, static_cast<size_t>(static_cast<double>(competitors) / e_.eta));
      if (ahead >= keep)
        return {true, "rung " + std::to_string(k) + " (step " + std::to_string(rungs[k]) + "): " + m_.name + " " +
                          number(value) + " ranks " + std::to_string(ahead + 1) + " of " + std::to_string(competitors) +
                          ", only the top " + std::to_string(keep) + " continue"};
    }
    return {};
  }

 private:
  EarlyTerminate e_;
  Objective m_;
};

// The best value among reports up to `step`, if any.
std::optional<double> bestUpTo(const Objective& m, const Trial& t, int64_t step) {
  std::optional<double> best;
  for (const auto& [s, v] : t.reports) {
    if (s > step) break;
    if (!best || better(m, v, *best)) best = v;
  }
  return best;
}

class MedianStopping : public StoppingRule {
 public:
  MedianStopping(EarlyTerminate e, Objective m) : e_(e), m_(std::move(m)) {}

  StopDecision judge(std::vector<Trial>& trials, size_t index, int64_t stepsPerEpoch) const override {
    const Trial& trial = trials[index];
    const int64_t warmup = firstStep(e_, stepsPerEpoch);
    if (warmup <= 0 || trial.reports.empty()) return {};
    const int64_t step = trial.reports.rbegin()->first;
    if (step < warmup) return {};
    std::vector<double> others;
    for (const auto& o : trials) {
      if (o.number == trial.number || o.reports.empty() || o.reports.rbegin()->first < step) continue;
      if (auto b = bestUpTo(m_, o, step)) others.push_back(*b);
    }
    if (static_cast<int>(others.size()) < e_.startupTrials) return {};
    std::sort(others.begin(), others.end(), [this](double a, double b) { return better(m_, a, b); });
    const size_t n = others.size();
    const double median = n % 2 ? others[n / 2] : 0.5 * (others[n / 2 - 1] + others[n / 2]);
    const double mine = *bestUpTo(m_, trial, step);
    if (!better(m_, median, mine)) return {};
    return {true, "step " + std::to_string(step) + ": best " + m_.name + " " + number(mine) +
                      " is worse than the median " + number(median) + " of " + std::to_string(n) + " trials"};
  }

 private:
  EarlyTerminate e_;
  Objective m_;
};

}  // namespace

std::vector<int64_t> ashaRungs(int64_t firstRung, double eta, int64_t maxSteps) {
  std::vector<int64_t> out;
  for (double r = static_cast<double>(firstRung); out.size() < 30; r *= eta) {
    const auto step = static_cast<int64_t>(std::llround(r));
    if ((maxSteps > 0 && step >= maxSteps) || r > 1e15) break;
    out.push_back(step);
  }
  return out;
}

std::unique_ptr<StoppingRule> makeStoppingRule(const SweepSpec& sweep) {
  switch (sweep.early.type) {
    case EarlyTerminate::Type::Asha:
      return std::make_unique<Asha>(sweep.early, sweep.metric);
    case EarlyTerminate::Type::Median:
      return std::make_unique<MedianStopping>(sweep.early, sweep.metric);
    case EarlyTerminate::Type::None:
      return nullptr;
  }
  return nullptr;
}

}  // namespace reef::sweep

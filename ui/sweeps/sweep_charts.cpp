#include "ui/sweeps/sweep_charts.h"

#include <algorithm>
#include <cmath>

namespace reef::ui {

QString valueText(const Json& v) {
  if (v.is_string()) return QString::fromStdString(v.get<std::string>());
  if (v.is_number_float()) return QString::number(v.get<double>(), 'g', 3);
  return QString::fromStdString(v.dump());
}

std::vector<std::pair<double, QString>> unitTicks(const sweep::Dimension& d, int count) {
  std::vector<std::pair<double, QString>> ticks;
  if (!d.numeric()) {
    for (const auto& v : d.values) ticks.emplace_back(d.toUnit(v), valueText(v));
    return ticks;
  }
  for (int i = 0; i < count; ++i) {
    const double u = static_cast<double>(i) / (count - 1);
    ticks.emplace_back(u, valueText(d.fromUnit(std::min(u, 0.999999))));  // (1 itself is past the range)
  }
  return ticks;
}

namespace {

ParallelAxis axisOf(const sweep::Dimension& d) {
  return {QString::fromStdString(d.key), d.logScale(), unitTicks(d, 3)};
}

bool hasValue(const sweep::Trial& t) { return t.value && std::isfinite(*t.value) && !t.reports.empty(); }

}  // namespace

QString statusColor(sweep::TrialStatus status) {
  switch (status) {
    case sweep::TrialStatus::Completed:
      return "#2e7d32";
    case sweep::TrialStatus::Stopped:
      return "#ef8f00";
    case sweep::TrialStatus::Running:
    case sweep::TrialStatus::Stopping:
      return "#1565c0";
    case sweep::TrialStatus::Failed:
      return "#c62828";
    default:
      return "#9e9e9e";
  }
}

ParallelCoordinates parallelCoordinates(const sweep::SweepSpec& spec, const sweep::SweepState& state) {
  ParallelCoordinates pc;
  for (const auto& d : spec.space.dimensions()) pc.axes.push_back(axisOf(d));
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& t : state.trials)
    if (hasValue(t)) lo = std::min(lo, *t.value), hi = std::max(hi, *t.value);
  ParallelAxis metric{QString::fromStdString(spec.metric.name), false, {}};
  if (lo <= hi) {
    // Better at the top: the bottom is the worst value.
    const double worst = spec.metric.maximize ? lo : hi, best = spec.metric.maximize ? hi : lo;
    metric.ticks = {{0.0, QString::number(worst, 'g', 4)}, {1.0, QString::number(best, 'g', 4)}};
  }
  pc.axes.push_back(metric);
  for (const auto& t : state.trials) {
    if (!hasValue(t)) continue;
    ParallelCoordinates::Line line{t.number, t.status, {}};
    for (const auto& d : spec.space.dimensions())
      line.positions.push_back(t.params.contains(d.key) ? d.toUnit(t.params[d.key]) : NAN);
    const double u = hi > lo ? (*t.value - lo) / (hi - lo) : 0.5;
    line.positions.push_back(spec.metric.maximize ? u : 1.0 - u);
    pc.lines.push_back(std::move(line));
  }
  return pc;
}

std::vector<ComputePoint> bestAgainstCompute(const sweep::SweepSpec& spec, const sweep::SweepState& state) {
  std::vector<const sweep::Trial*> ended;
  for (const auto& t : state.trials)
    if (sweep::finished(t.status)) ended.push_back(&t);
  std::stable_sort(ended.begin(), ended.end(), [](const auto* a, const auto* b) { return a->endedAt < b->endedAt; });
  std::vector<ComputePoint> out;
  double compute = 0, best = NAN;
  for (const auto* t : ended) {
    compute += static_cast<double>(t->steps);
    if (t->status == sweep::TrialStatus::Completed && t->value && std::isfinite(*t->value) &&
        (std::isnan(best) || spec.metric.better(*t->value, best)))
      best = *t->value;
    out.push_back({compute, best});
  }
  return out;
}

std::vector<SlicePoint> slice(const sweep::SweepSpec& spec, const sweep::SweepState& state, const std::string& key) {
  const sweep::Dimension* d = spec.space.find(key);
  std::vector<SlicePoint> out;
  if (!d) return out;
  for (const auto& t : state.trials)
    if (hasValue(t) && t.params.contains(key)) out.push_back({t.number, d->toUnit(t.params[key]), *t.value, t.status});
  return out;
}

}  // namespace reef::ui

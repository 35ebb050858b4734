#pragma once
// What the Sweeps tab draws, computed from a sweep's state apart from any widget (and tested so):
// parallel coordinates, best-so-far against compute, a parameter's slice.
#include "backend/sweep/sweep_spec.h"
#include "backend/sweep/sweep_store.h"

#include <QString>
#include <QStringList>

#include <vector>

namespace reef::ui {

struct ParallelAxis {
  QString title;
  bool log = false;
  // Labels along the axis at positions in [0, 1] (0 at the bottom): the categories of a list,
  // else the ends and the middle of the range on its scale.
  std::vector<std::pair<double, QString>> ticks;
};

struct ParallelCoordinates {
  std::vector<ParallelAxis> axes;  // one per parameter, the metric last (better at the top)
  struct Line {
    int trial = 0;
    sweep::TrialStatus status = sweep::TrialStatus::Completed;
    std::vector<double> positions;  // per axis in [0, 1]; NaN where the parameter is absent
  };
  std::vector<Line> lines;  // trials with a finite metric
};

ParallelCoordinates parallelCoordinates(const sweep::SweepSpec& spec, const sweep::SweepState& state);

// Best completed value so far against the compute spent (steps summed over the trials that had
// ended), one point per ended trial in the order they ended.
struct ComputePoint {
  double compute = 0;
  double best = 0;  // NaN until a trial completed
};
std::vector<ComputePoint> bestAgainstCompute(const sweep::SweepSpec& spec, const sweep::SweepState& state);

// A trial's value of `key` against its metric, for the slice plot: x on the parameter's unit
// scale (log ranges are spread evenly), with the categories' names where it is a list.
struct SlicePoint {
  int trial = 0;
  double x = 0, value = 0;
  sweep::TrialStatus status = sweep::TrialStatus::Completed;
};
std::vector<SlicePoint> slice(const sweep::SweepSpec& spec, const sweep::SweepState& state, const std::string& key);

// A parameter's value for people: strings as they are, numbers to 3 significant digits.
QString valueText(const Json& value);
// Ticks along a parameter's unit scale (0 to 1): its categories, or `count` evenly spaced values
// of its range (on its scale).
std::vector<std::pair<double, QString>> unitTicks(const sweep::Dimension& d, int count);

// A status's colour name: completed green, stopped amber, running blue, failed red, the rest grey.
QString statusColor(sweep::TrialStatus status);

}  // namespace reef::ui

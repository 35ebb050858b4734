#pragma once
// What a sweep searches: one dimension per spec key (`optim.lr`), each a list of values or a
// range (uniform, log-uniform, integer, with optional steps `q`), present only when its condition
// holds (`when: {optim.name: sgd}`). A trial's settings are an Assignment: the active keys and
// their values, in the order the sweep declares them.
#include "backend/protocol/json.h"

#include <optional>
#include <string>
#include <vector>

namespace reef::sweep {

enum class Distribution { Values, Uniform, LogUniform, IntUniform, LogIntUniform };

const char* distributionName(Distribution distribution);

// The dimension exists only while `key` has one of `values`.
struct Condition {
  std::string key;
  std::vector<Json> values;
};

struct Dimension {
  std::string key;  // spec path: section.key
  Distribution distribution = Distribution::Values;
  std::vector<Json> values;     // Values
  double min = 0, max = 0;      // ranges, inclusive
  std::optional<double> q;      // step of a quantized range
  std::vector<Condition> when;  // all must hold

  bool numeric() const { return distribution != Distribution::Values; }
  bool integer() const {
    return distribution == Distribution::IntUniform || distribution == Distribution::LogIntUniform;
  }
  bool logScale() const {
    return distribution == Distribution::LogUniform || distribution == Distribution::LogIntUniform;
  }
  // The value at `u` in [0, 1): values evenly by index, ranges by their scale, rounded to q or to
  // integers.
  Json fromUnit(double u) const;
  // The inverse, at the middle of a value's share for lists: for plots and the TPE's kernels.
  double toUnit(const Json& value) const;
  // Rounds a value of the range to the dimension's grid (q, integers) and clamps it to the range.
  Json snap(double value) const;
  // Finite number of values (lists, integer and quantized ranges), or nullopt for continuous ranges
  // and for ranges of more than kMaxEnumerated values.
  std::optional<std::vector<Json>> enumerate() const;
  static constexpr int kMaxEnumerated = 10000;
};

// Keys to values: what one trial sets.
using Assignment = Json;

class SearchSpace {
 public:
  SearchSpace() = default;
  // Orders the dimensions so that every condition names an earlier one; throws naming the key
  // when a condition names an unknown key or the conditions form a cycle.
  explicit SearchSpace(std::vector<Dimension> dimensions);

  const std::vector<Dimension>& dimensions() const { return dimensions_; }
  const Dimension* find(const std::string& key) const;
  // Whether `dimension` is present given the values assigned so far.
  static bool active(const Dimension& dimension, const Assignment& assigned);
  // Every combination of the dimensions' values, each inactive dimension left out (so a
  // conditional dimension does not multiply the combinations where it is absent), in declaration
  // order with the last dimension varying fastest. Needs enumerate() of every dimension.
  std::vector<Assignment> grid() const;
  // "optim.lr=0.00123 optim.name=sgd": for people (numbers to 6 significant digits).
  static std::string describe(const Assignment& assignment);
  // A canonical text of an assignment (keys sorted, numbers as written): equal settings, equal text.
  static std::string canonical(const Assignment& assignment);

 private:
  std::vector<Dimension> dimensions_;
};

}  // namespace reef::sweep

#include "backend/sweep/search_space.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>

namespace reef::sweep {

const char* distributionName(Distribution distribution) {
  switch (distribution) {
    case Distribution::Values:
      return "values";
    case Distribution::Uniform:
      return "uniform";
    case Distribution::LogUniform:
      return "log_uniform";
    case Distribution::IntUniform:
      return "int_uniform";
    case Distribution::LogIntUniform:
      return "log_int_uniform";
  }
  return "values";
}

namespace {

double clamp01(double u) { return std::clamp(u, 0.0, std::nextafter(1.0, 0.0)); }

// A range's bounds in the space where it is uniform.
double warp(const Dimension& d, double x) { return d.logScale() ? std::log(x) : x; }
double unwarp(const Dimension& d, double x) { return d.logScale() ? std::exp(x) : x; }

}  // namespace

Json Dimension::snap(double value) const {
  double x = std::clamp(value, min, max);
  if (q) x = std::clamp(min + std::round((x - min) / *q) * *q, min, max);
  if (integer())
    return static_cast<long long>(std::llround(std::clamp(std::round(x), std::ceil(min), std::floor(max))));
  // Keep values that are meant to be short (0.1, 1e-3) free of rounding noise.
  char text[32];
  std::snprintf(text, sizeof text, "%.12g", x);
  return std::strtod(text, nullptr);
}

Json Dimension::fromUnit(double u) const {
  u = clamp01(u);
  if (distribution == Distribution::Values) return values[static_cast<size_t>(u * static_cast<double>(values.size()))];
  if (integer() && !logScale()) {
    // Every integer of [min, max] gets an equal share.
    const double lo = std::ceil(min), hi = std::floor(max);
    return snap(lo + std::floor(u * (hi - lo + 1)));
  }
  if (integer()) {
    // Each integer gets the share of [n - 0.5, n + 0.5] on the log scale (min >= 1 for log ranges).
    const double lo = std::log(std::ceil(min) - 0.5), hi = std::log(std::floor(max) + 0.5);
    return snap(std::exp(lo + u * (hi - lo)));
  }
  return snap(unwarp(*this, warp(*this, min) + u * (warp(*this, max) - warp(*this, min))));
}

double Dimension::toUnit(const Json& value) const {
  if (distribution == Distribution::Values) {
    const auto it = std::find(values.begin(), values.end(), value);
    const double index = it == values.end() ? 0.0 : static_cast<double>(it - values.begin());
    return (index + 0.5) / static_cast<double>(values.size());
  }
  const double x = value.get<double>();
  const double lo = warp(*this, min), hi = warp(*this, max);
  return hi > lo ? std::clamp((warp(*this, x) - lo) / (hi - lo), 0.0, 1.0) : 0.5;
}

std::optional<std::vector<Json>> Dimension::enumerate() const {
  if (distribution == Distribution::Values) return values;
  const double step = q ? *q : 1.0;
  const double first = integer() && !q ? std::ceil(min) : min;
  // Counted rather than stepped: x += step stops moving where step is below x's precision.
  const double count = std::floor((max - first) / step + 1e-9);
  // Not finite where min or max is (a number too large for a double reads as infinity).
  if ((!integer() && !q) || !(step > 0) || !std::isfinite(count) || !(count < kMaxEnumerated)) return std::nullopt;
  std::vector<Json> out;
  for (int64_t i = 0; i <= static_cast<int64_t>(count); ++i) out.push_back(snap(first + static_cast<double>(i) * step));
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

SearchSpace::SearchSpace(std::vector<Dimension> dimensions) {
  std::map<std::string, const Dimension*> byKey;
  for (const auto& d : dimensions) byKey[d.key] = &d;
  for (const auto& d : dimensions)
    for (const auto& c : d.when)
      if (!byKey.count(c.key))
        throw std::invalid_argument(d.key + ": its condition names '" + c.key +
                                    "', which is not a parameter of this sweep; add it to parameters");
  // Kahn's order: a dimension comes after every dimension its condition reads.
  std::vector<bool> placed(dimensions.size(), false);
  while (dimensions_.size() < dimensions.size()) {
    bool progress = false;
    for (size_t i = 0; i < dimensions.size(); ++i) {
      if (placed[i]) continue;
      const bool ready = std::all_of(dimensions[i].when.begin(), dimensions[i].when.end(), [&](const Condition& c) {
        return std::any_of(dimensions_.begin(), dimensions_.end(), [&](const Dimension& p) { return p.key == c.key; });
      });
      if (!ready) continue;
      dimensions_.push_back(dimensions[i]);
      placed[i] = progress = true;
    }
    if (!progress)
      for (size_t i = 0; i < dimensions.size(); ++i)
        if (!placed[i])
          throw std::invalid_argument(dimensions[i].key +
                                      ": its conditions form a cycle; one of them must not depend on the other");
  }
}

const Dimension* SearchSpace::find(const std::string& key) const {
  for (const auto& d : dimensions_)
    if (d.key == key) return &d;
  return nullptr;
}

bool SearchSpace::active(const Dimension& dimension, const Assignment& assigned) {
  for (const auto& c : dimension.when) {
    if (!assigned.contains(c.key)) return false;
    if (std::find(c.values.begin(), c.values.end(), assigned[c.key]) == c.values.end()) return false;
  }
  return true;
}

namespace {

void expand(const std::vector<Dimension>& dims, size_t index, Assignment& partial, std::vector<Assignment>& out) {
  if (index == dims.size()) {
    out.push_back(partial);
    return;
  }
  const Dimension& d = dims[index];
  if (!SearchSpace::active(d, partial)) return expand(dims, index + 1, partial, out);
  const std::vector<Json> values = *d.enumerate();
  for (const auto& value : values) {
    partial[d.key] = value;
    expand(dims, index + 1, partial, out);
    partial.erase(d.key);
  }
}

}  // namespace

std::vector<Assignment> SearchSpace::grid() const {
  std::vector<Assignment> out;
  Assignment partial = Json::object();
  expand(dimensions_, 0, partial, out);
  return out;
}

std::string SearchSpace::describe(const Assignment& assignment) {
  std::string text;
  for (const auto& [key, value] : assignment.items()) {
    std::string shown = value.is_string() ? value.get<std::string>() : value.dump();
    if (value.is_number_float()) {
      char number[32];
      std::snprintf(number, sizeof number, "%.6g", value.get<double>());
      shown = number;
    }
    text += (text.empty() ? "" : " ") + key + "=" + shown;
  }
  return text;
}

std::string SearchSpace::canonical(const Assignment& assignment) {
  std::map<std::string, std::string> sorted;
  for (const auto& [key, value] : assignment.items()) sorted[key] = value.dump();
  std::string text;
  for (const auto& [key, value] : sorted) text += key + "=" + value + ";";
  return text;
}

}  // namespace reef::sweep

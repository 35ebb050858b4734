#include "ui/designer/spec_diff.h"

#include <algorithm>
#include <map>

namespace reef::ui {

namespace {

// Objects become dotted keys; anything else (numbers, strings, lists) is a value.
void flatten(const Json& value, const std::string& prefix, std::map<std::string, Json>& out) {
  if (value.is_object() && !value.empty()) {
    for (const auto& [k, v] : value.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
  } else if (!prefix.empty()) {
    out[prefix] = value;
  }
}

}  // namespace

bool sameSpecValue(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  return a == b;
}

std::vector<SpecChange> specChanges(const Json& before, const Json& after) {
  std::map<std::string, Json> a, b;
  flatten(before, "", a);
  flatten(after, "", b);
  std::vector<SpecChange> out;
  for (const auto& [key, value] : a) {
    const auto it = b.find(key);
    if (it == b.end())
      out.push_back({key, value, nullptr});
    else if (!sameSpecValue(value, it->second))
      out.push_back({key, value, it->second});
  }
  for (const auto& [key, value] : b)
    if (!a.count(key)) out.push_back({key, nullptr, value});
  std::sort(out.begin(), out.end(), [](const SpecChange& x, const SpecChange& y) { return x.key < y.key; });
  return out;
}

}  // namespace reef::ui

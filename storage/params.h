#pragma once
#include "backend/protocol/json.h"

#include <optional>
#include <string>
#include <vector>

namespace reef::storage {

// One flattened spec value: "optim.lr" = 0.001 (float). Numbers and booleans are also kept as
// numbers, so that filters such as `optim.lr < 1e-3` and sorting compare numerically.
struct ParamValue {
  std::string key;
  std::string type;  // int, float, bool, string, list, null
  std::optional<double> num;
  std::string text;
};

std::vector<ParamValue> flattenSpec(const Json& spec);

}  // namespace reef::storage

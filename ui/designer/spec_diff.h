#pragma once
// What a spec changes against another (the example or run it was loaded from): every dotted key
// whose value differs, was added or was removed, in key order. Plain JSON, tested on its own.
#include "backend/protocol/json.h"

#include <string>
#include <vector>

namespace reef::ui {

struct SpecChange {
  std::string key;  // "optim.lr"
  Json before;      // null when the key was added
  Json after;       // null when it was removed
};

std::vector<SpecChange> specChanges(const Json& before, const Json& after);
// Two spec values as a spec means them: numbers by value (1 and 1.0 are the same), the rest as JSON.
bool sameSpecValue(const Json& a, const Json& b);

}  // namespace reef::ui

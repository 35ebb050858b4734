#pragma once
// YAML <-> JSON for specs. Plain scalars are typed the YAML 1.2 core way (42 is an int, 1e-3 a
// float, true a bool, ~ null); quoted scalars always stay strings.
#include "backend/protocol/json.h"

#include <string>

namespace reef::protocol {

// Throws std::runtime_error naming `sourceName`, the line and the column on malformed YAML or a
// duplicated key.
Json parseYaml(const std::string& text, const std::string& sourceName);
// Reads one plain YAML scalar ("3", "0.5", "true", "adamw") as typed JSON.
Json parseYamlScalar(const std::string& text);
std::string toYaml(const Json& json);

}  // namespace reef::protocol

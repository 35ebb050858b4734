#pragma once
// One JSON type for all of Reef: ordered, so that specs and catalogs keep the order in which
// sections and keys were declared (what a person reads in spec.yaml and in the studio's forms).
#include <nlohmann/json.hpp>

namespace reef {
using Json = nlohmann::ordered_json;
}

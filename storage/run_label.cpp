#include "storage/run_label.h"

#include <array>
#include <cstdint>

namespace reef::storage {

namespace {

// 64 x 64 words: 4,096 pairs, and the id's last four characters keep two runs apart.
constexpr std::array<const char*, 64> kAdjectives = {
    "amber",   "ancient", "azure",  "bold",   "brave",  "bright", "brisk",  "calm",   "clever", "coral",  "cosmic",
    "crimson", "crisp",   "dapper", "daring", "dawn",   "deft",   "eager",  "early",  "easy",   "fancy",  "fearless",
    "fluent",  "frosty",  "gentle", "gilded", "golden", "grand",  "happy",  "hardy",  "honest", "humble", "icy",
    "jolly",   "keen",    "kind",   "lively", "lucky",  "lunar",  "mellow", "misty",  "noble",  "olive",  "polar",
    "proud",   "quiet",   "rapid",  "rosy",   "royal",  "rustic", "silent", "silver", "sleek",  "solar",  "steady",
    "stellar", "stormy",  "sunny",  "swift",  "tidal",  "vivid",  "warm",   "wild",   "zesty"};
constexpr std::array<const char*, 64> kNouns = {
    "anchor", "aurora",  "badger", "beacon", "breeze", "brook",  "canyon", "cedar",   "comet",  "coral",   "crane",
    "dune",   "eagle",   "ember",  "falcon", "fern",   "fjord",  "forest", "fox",     "galaxy", "glacier", "grove",
    "harbor", "hawk",    "heron",  "island", "jaguar", "lagoon", "lark",   "lotus",   "lynx",   "maple",   "meadow",
    "meteor", "moon",    "nebula", "oak",    "ocean",  "orca",   "otter",  "owl",     "panda",  "pebble",  "pine",
    "planet", "quartz",  "raven",  "reef",   "river",  "sage",   "shore",  "sparrow", "spruce", "star",    "stone",
    "summit", "thunder", "tiger",  "valley", "wave",   "willow", "wind",   "wolf",    "zephyr"};

// FNV-1a: stable across platforms and versions, unlike std::hash.
uint64_t fnv1a(const std::string& text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

}  // namespace

std::string runLabel(const std::string& name, const std::string& runId) {
  if (!name.empty()) return name;
  if (runId.empty()) return "unnamed";
  const uint64_t h = fnv1a(runId);
  const std::string tail = runId.size() > 4 ? runId.substr(runId.size() - 4) : runId;
  return std::string(kAdjectives[h % kAdjectives.size()]) + "-" + kNouns[(h / kAdjectives.size()) % kNouns.size()] +
         "-" + tail;
}

}  // namespace reef::storage

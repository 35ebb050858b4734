#pragma once
// What a run is called where people read it: its exp.name, or for an unnamed run a readable label
// made from its run id ("amber-heron-5f3a"), as W&B names runs. The label is only a label: the
// run is still found, filtered and served by its id, and the same id always gives the same label.
#include <string>

namespace reef::storage {

std::string runLabel(const std::string& name, const std::string& runId);

// True when runLabel() made the label up (the run has no name).
inline bool labelIsGenerated(const std::string& name) { return name.empty(); }

}  // namespace reef::storage

#pragma once
// The cluster backends from the command line: `reef cluster add|list|test|rm`, `reef submit`, and
// `reef runs follow|cancel|fetch` (added to the run index's `runs` command). Torch-free.
#include <CLI/CLI.hpp>

namespace reef::cluster {

void addClusterCommands(CLI::App& app, int& status);

}  // namespace reef::cluster

#pragma once
// `reef runs ...` and `reef db ...`: the run index from the command line. Each command first
// brings the workspace's index up to date with its run directories.
#include <CLI/CLI.hpp>

namespace reef::storage {

void addRunsCommand(CLI::App& app, int& status);
void addDbCommand(CLI::App& app, int& status);

}  // namespace reef::storage

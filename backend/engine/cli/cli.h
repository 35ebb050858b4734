#pragma once
#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

namespace reef::engine {

// Registers a subcommand from a part above the engine (export, deploy).
using CommandAdder = std::function<void(CLI::App& app, int& status)>;

// `reef` and its subcommands. Returns the process exit status: 0 success, 1 a failure while
// running, 2 a usage or spec error, 130 a run stopped by a signal.
int runCli(int argc, char** argv, const std::vector<CommandAdder>& more = {});

}  // namespace reef::engine

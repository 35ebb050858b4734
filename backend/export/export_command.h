#pragma once
// `reef export`, registered by the reef program (export sits above the engine).
#include <CLI/CLI.hpp>

namespace reef::exporting {

void addExportCommand(CLI::App& app, int& status);

}  // namespace reef::exporting

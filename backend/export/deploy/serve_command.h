#pragma once
#include <CLI/CLI.hpp>

namespace reef::deploy {

// `reef serve RUN_OR_BUNDLE`: the model behind OpenAI-style HTTP endpoints.
void addServeCommand(CLI::App& app, int& status);

}  // namespace reef::deploy

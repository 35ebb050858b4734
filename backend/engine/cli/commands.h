#pragma once
// Each subcommand registers itself on the app and, when chosen, stores its exit status.
#include <CLI/CLI.hpp>

namespace reef::engine {

void addTrainCommand(CLI::App& app, int& status);
void addEvalCommand(CLI::App& app, int& status);
void addCatalogCommand(CLI::App& app, int& status);
void addLaunchCommand(CLI::App& app, int& status);
void addTextCommands(CLI::App& app, int& status);
void addGenerateCommand(CLI::App& app, int& status);
void addPunctuateCommand(CLI::App& app, int& status);
void addLoraCommand(CLI::App& app, int& status);
void addCaptionCommand(CLI::App& app, int& status);
void addRetrieveCommand(CLI::App& app, int& status);
void addTranscribeCommand(CLI::App& app, int& status);
void addSynthesizeCommand(CLI::App& app, int& status);

// Exit statuses shared by the commands.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitCancelled = 130;

}  // namespace reef::engine

#pragma once
// Every `reef` subcommand: each registers itself on the app and, when chosen, stores its exit
// status. cli.cpp adds them all; this folder is the one place that knows every command.
#include <CLI/CLI.hpp>

namespace reef::app {

// Training and evaluation (the engine).
void addTrainCommand(CLI::App& app, int& status);
void addLaunchCommand(CLI::App& app, int& status);
void addEvalCommand(CLI::App& app, int& status);
void addCatalogCommand(CLI::App& app, int& status);
void addLoraCommand(CLI::App& app, int& status);
// Collection-specific inference and data preparation.
void addTextCommands(CLI::App& app, int& status);
void addGenerateCommand(CLI::App& app, int& status);
void addPunctuateCommand(CLI::App& app, int& status);
void addCaptionCommand(CLI::App& app, int& status);
void addRetrieveCommand(CLI::App& app, int& status);
void addTranscribeCommand(CLI::App& app, int& status);
void addSynthesizeCommand(CLI::App& app, int& status);
// The run index: `reef runs ...` and `reef db ...`. Each first brings the workspace's index up to
// date with its run directories.
void addRunsCommand(CLI::App& app, int& status);
void addDbCommand(CLI::App& app, int& status);
// Export, deployment and clusters (not in an engine-only build).
void addExportCommand(CLI::App& app, int& status);
void addServeCommand(CLI::App& app, int& status);
// `reef cluster add|list|test|rm`, `reef submit`, and `reef runs follow|cancel|fetch` (added to the
// `runs` command, so after addRunsCommand).
void addClusterCommands(CLI::App& app, int& status);
// `reef sweep FILE` and `reef sweep resume|stop|status|list`.
void addSweepCommand(CLI::App& app, int& status);

// Exit statuses shared by the commands.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitCancelled = 130;

}  // namespace reef::app

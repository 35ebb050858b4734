#include "app/reef/cli.h"

#include "app/reef/commands.h"
#include "backend/engine/core/version.h"
#include "backend/protocol/spec.h"
#include "storage/filter.h"

#include <torch/version.h>

#include <cstdio>

namespace reef::app {

namespace {

void addCommands(CLI::App& app, int& status) {
  addTrainCommand(app, status);
  addEvalCommand(app, status);
  addCatalogCommand(app, status);
  addLaunchCommand(app, status);
  addTextCommands(app, status);
  addGenerateCommand(app, status);
  addPunctuateCommand(app, status);
  addTranscribeCommand(app, status);
  addSynthesizeCommand(app, status);
  addLoraCommand(app, status);
  addCaptionCommand(app, status);
  addRetrieveCommand(app, status);
  addRunsCommand(app, status);
  addDbCommand(app, status);
#ifndef REEF_ENGINE_ONLY
  addExportCommand(app, status);
  addServeCommand(app, status);
  addClusterCommands(app, status);
  addSweepCommand(app, status);
#endif
}

}  // namespace

int runCli(int argc, char** argv) {
  CLI::App app{"Reef: train, evaluate and serve deep learning models (the engine behind reef-studio)", "reef"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("reef ") + REEF_VERSION + " (LibTorch " + TORCH_VERSION + ")");
  int status = 0;
  addCommands(app, status);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  } catch (const protocol::SpecError& e) {
    std::fprintf(stderr, "reef: invalid spec: %s\n", e.what());
    return kExitUsage;
  } catch (const storage::FilterError& e) {
    std::fprintf(stderr, "reef: %s\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reef: error: %s\n", e.what());
    return kExitFailure;
  }
  return status;
}

}  // namespace reef::app

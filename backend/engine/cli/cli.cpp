#include "cli/cli.h"

#include "cli/commands.h"
#include "protocol/spec.h"
#include "storage/cli/commands.h"
#include "storage/filter.h"
#include "version.h"

#include <torch/version.h>

#include <cstdio>

namespace reef::engine {

int runCli(int argc, char** argv, const std::vector<CommandAdder>& more) {
  CLI::App app{"Reef: train, evaluate and serve deep learning models (the engine behind reef-studio)", "reef"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("reef ") + REEF_VERSION + " (LibTorch " + TORCH_VERSION + ")");
  int status = 0;
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
  storage::addRunsCommand(app, status);
  storage::addDbCommand(app, status);
  for (const auto& add : more) add(app, status);
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

}  // namespace reef::engine

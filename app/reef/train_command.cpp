#include "app/reef/commands.h"
#include "backend/collections/collections.h"
#include "backend/engine/parallel/dist_env.h"
#include "backend/engine/trainer/engine_catalog.h"
#include "backend/engine/trainer/loaded_run.h"
#include "backend/engine/trainer/progress.h"
#include "backend/engine/trainer/settings.h"
#include "backend/engine/trainer/trainer.h"
#include "backend/protocol/event_log.h"
#include "backend/protocol/run_dir.h"
#include "backend/protocol/spec.h"
#include "backend/protocol/yaml_json.h"

#include <cstdio>
#include <fstream>

namespace fs = std::filesystem;

namespace reef::app {

namespace {

struct TrainOptions {
  std::string spec;
  std::string runDir;
  std::string workspace;
  std::vector<std::string> sets;
  bool plain = false;
};

int train(const TrainOptions& options) {
  // `reef train RUN_DIR` continues that run with the spec it was started with.
  fs::path specPath = options.spec;
  fs::path runRoot = options.runDir;
  if (fs::is_directory(specPath)) {
    if (!fs::exists(specPath / "spec.yaml"))
      throw std::runtime_error("'" + specPath.string() +
                               "' is a folder without spec.yaml: pass a spec file or a run directory");
    if (runRoot.empty()) runRoot = specPath;
    specPath /= "spec.yaml";
    // Continuing a trial that its sweep stopped early trains it on: the old request is spent.
    std::error_code ignored;
    fs::remove(protocol::RunDir(specPath.parent_path()).stopRequest(), ignored);
  }
  Json spec;
  try {
    Json raw = protocol::loadSpecFile(specPath);
    for (const auto& s : options.sets) protocol::applyOverride(raw, s);
    spec = protocol::resolveSpec(raw, engine::engineCatalog(collections::builtinRegistry()), specPath.string());
    engine::RunSettings::fromSpec(spec);  // cross-key checks, before anything is created
  } catch (const std::exception& e) {
    // A run directory prepared by a launcher (the studio) records why it never started.
    if (!runRoot.empty() && fs::is_directory(runRoot) && engine::DistEnv::fromEnvironment().rank == 0) {
      protocol::RunDir run(runRoot);
      run.createLayout();
      protocol::EventWriter(run.events()).write("run_finished", {{"status", "failed"}, {"error", e.what()}});
    }
    throw;
  }

  const engine::DistEnv dist = engine::DistEnv::fromEnvironment();
  if (dist.distributed() && runRoot.empty())
    throw std::runtime_error(
        "a distributed job needs one run directory for all ranks: pass --run-dir "
        "(reef launch does this for you)");
  protocol::RunDir run = runRoot.empty()
                             ? protocol::RunDir::create(options.workspace.empty() ? protocol::RunDir::defaultWorkspace()
                                                                                  : fs::path(options.workspace))
                             : protocol::RunDir(runRoot);
  run.createLayout();
  std::unique_ptr<protocol::EventWriter> events;  // rank 0 writes the run's spec and events
  if (dist.rank == 0) {
    engine::writeRunSpec(run, spec);
    events = std::make_unique<protocol::EventWriter>(run.events());
    std::fprintf(stderr, "run directory: %s\n", run.root().string().c_str());
  }
  try {
    engine::Trainer trainer(collections::builtinRegistry(), run, spec, events.get(),
                            !options.plain && engine::Progress::stderrIsTerminal());
    const engine::TrainResult result = trainer.run();
    if (!events) return result.status == "cancelled" ? kExitCancelled : 0;
    Json metrics = Json::object();
    for (const auto& [k, v] : result.testMetrics) metrics[k] = v;
    events->write("run_finished",
                  {{"status", result.status}, {"step", result.step}, {"metrics", metrics}, {"error", nullptr}});
    std::printf("run %s: %s at step %lld\n", run.root().filename().c_str(), result.status.c_str(),
                static_cast<long long>(result.step));
    for (const auto& [k, v] : result.testMetrics) std::printf("  %-16s %.4f\n", k.c_str(), v);
    std::printf("  run directory: %s\n", run.root().c_str());
    return result.status == "cancelled" ? kExitCancelled : 0;
  } catch (const std::exception& e) {
    // In a job, which rank failed and on which node: the first thing to know on a cluster.
    const std::string error = dist.distributed() ? dist.who() + ": " + e.what() : std::string(e.what());
    if (events) events->write("run_finished", {{"status", "failed"}, {"error", error}});
    throw std::runtime_error(error);
  }
}

}  // namespace

void addTrainCommand(CLI::App& app, int& status) {
  auto options = std::make_shared<TrainOptions>();
  auto* cmd = app.add_subcommand("train", "Train a model from an experiment spec (or continue a run directory)");
  cmd->add_option("spec", options->spec, "Spec YAML file, or a run directory to continue")->required();
  cmd->add_option("--run-dir", options->runDir,
                  "Train in this run directory (continuing it when it has checkpoints) instead of a new one");
  cmd->add_option("--workspace", options->workspace,
                  "Workspace whose runs/ gets the new run directory (default: $REEF_WORKSPACE or ./workspace)");
  cmd->add_option("--set", options->sets, "Override a spec value, e.g. --set optim.lr=0.01 (repeatable)")
      ->allow_extra_args(false);  // one value per --set, so `--set k=v SPEC` keeps SPEC positional
  cmd->add_flag("--plain", options->plain, "Plain progress lines even on a terminal");
  cmd->callback([options, &status] { status = train(*options); });
}

}  // namespace reef::app

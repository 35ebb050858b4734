#include "app/reef/commands.h"
#include "backend/collections/collections.h"
#include "backend/engine/core/data_settings.h"
#include "backend/engine/trainer/evaluate.h"
#include "backend/engine/trainer/loaded_run.h"

#include <cstdio>

namespace fs = std::filesystem;

namespace reef::app {

namespace {

struct EvalCommandOptions {
  std::string target;
  std::string split;  // empty: the model's default (the catalog's capabilities.eval_split)
  std::string checkpoint = "best";
  std::vector<std::string> sets;
  bool json = false;
};

engine::Split parseSplit(const std::string& name) {
  if (name == "train") return engine::Split::Train;
  if (name == "val") return engine::Split::Val;
  return engine::Split::Test;
}

int evaluateCommand(const EvalCommandOptions& options) {
  engine::LoadedRun loaded =
      engine::loadRun(collections::builtinRegistry(), options.target, options.checkpoint, options.sets);
  const engine::DataSettings data = engine::DataSettings::fromSpec(loaded.spec);
  const protocol::RunDir& run = loaded.run;
  const torch::Device device = loaded.device;
  auto& model = loaded.model;
  const engine::RunSettings& settings = loaded.settings;
  std::string splitName = options.split;
  if (splitName.empty()) splitName = collections::builtinRegistry().modelInfo(loaded.spec).capabilities.evalSplit;
  const engine::Split split = parseSplit(splitName);
  // A bundle has no run directory: its evaluation reports numbers only.
  const std::string source = loaded.bundle.empty() ? run.root().string() : loaded.bundle.string();
  engine::EvalOptions eval{data.evalBatchSize,
                           data.workers,
                           0,
                           device,
                           settings.trainer.precision == "bf16-mixed",
                           loaded.bundle.empty() ? std::optional(run.artifacts()) : std::nullopt,
                           "eval_" + splitName + "_step" + std::to_string(loaded.step) + "_"};
  const engine::EvalResult result = engine::evaluate(*model, split, eval);

  if (options.json) {
    Json out = {{"run", source}, {"checkpoint", loaded.step}, {"split", splitName}};
    Json metrics = Json::object();
    for (const auto& [k, v] : result.metrics) metrics[splitName + "/" + k] = v;
    out["metrics"] = metrics;
    Json artifacts = Json::array();
    for (const auto& a : result.artifacts) artifacts.push_back({{"kind", a.kind}, {"path", a.path.string()}});
    out["artifacts"] = artifacts;
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("%s, checkpoint step-%lld, %s split:\n", source.c_str(), static_cast<long long>(loaded.step),
                splitName.c_str());
    for (const auto& [k, v] : result.metrics) std::printf("  %s/%-12s %.4f\n", splitName.c_str(), k.c_str(), v);
    for (const auto& a : result.artifacts) std::printf("  %s: %s\n", a.kind.c_str(), a.path.c_str());
  }
  return 0;
}

}  // namespace

void addEvalCommand(CLI::App& app, int& status) {
  auto options = std::make_shared<EvalCommandOptions>();
  auto* cmd = app.add_subcommand("eval", "Evaluate a run's checkpoint on a split");
  cmd->add_option("target", options->target, "Run directory, or a checkpoints/step-<N> folder of one")->required();
  cmd->add_option(
         "--split", options->split,
         "Split to evaluate (default: the model's, test or val: `reef catalog --json` capabilities.eval_split)")
      ->check(CLI::IsMember({"train", "val", "test"}));
  cmd->add_option("--checkpoint", options->checkpoint,
                  "best (by exp.monitor), last, or a step number (ignored when target is a checkpoint)")
      ->check(CLI::IsMember({"best", "last"}) | CLI::PositiveNumber);
  cmd->add_option("--set", options->sets, "Override a spec value, e.g. --set data.root=/data (repeatable)")
      ->allow_extra_args(false);  // one value per --set, so `--set k=v SPEC` keeps SPEC positional
  cmd->add_flag("--json", options->json, "Print the result as JSON");
  cmd->callback([options, &status] { status = evaluateCommand(*options); });
}

}  // namespace reef::app

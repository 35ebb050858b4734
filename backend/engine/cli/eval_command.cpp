#include "builtin_registry.h"
#include "cli/commands.h"
#include "core/data_settings.h"
#include "core/tensor_io.h"
#include "core/runtime.h"
#include "protocol/run_dir.h"
#include "protocol/spec.h"
#include "trainer/checkpoint.h"
#include "trainer/evaluate.h"
#include "trainer/settings.h"
#include "trainer/trainer.h"

#include <cstdio>

namespace fs = std::filesystem;

namespace reef::engine {

namespace {

struct EvalCommandOptions {
  std::string target;
  std::string split = "test";
  std::string checkpoint = "best";
  std::vector<std::string> sets;
  bool json = false;
};

Split parseSplit(const std::string& name) {
  if (name == "train") return Split::Train;
  if (name == "val") return Split::Val;
  return Split::Test;
}

int evaluateCommand(const EvalCommandOptions& options) {
  // RUN_OR_CHECKPOINT: a run directory, or one of its checkpoints/step-<N> folders.
  fs::path target = fs::path(options.target).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();
  std::optional<int64_t> step;
  fs::path runRoot = target;
  if (auto s = protocol::parseCheckpointDirName(target.filename().string())) {
    step = s;
    runRoot = target.parent_path().parent_path();
  }
  protocol::RunDir run(runRoot);
  if (!fs::exists(run.spec()))
    throw std::runtime_error("'" + options.target + "' is neither a run directory nor a checkpoint in one (no " +
                             run.spec().string() + ")");
  Json raw = protocol::loadSpecFile(run.spec());
  for (const auto& s : options.sets) protocol::applyOverride(raw, s);
  const Json spec = protocol::resolveSpec(raw, engineCatalog(), run.spec().string());
  const RunSettings settings = RunSettings::fromSpec(spec);
  const DataSettings data = DataSettings::fromSpec(spec);

  CheckpointStore store(run);
  if (!step) {
    if (options.checkpoint == "best")
      step = store.best(settings.exp.monitorMax);
    else if (options.checkpoint == "last")
      step = store.latest();
    else
      step = std::stoll(options.checkpoint);
  }
  if (!step || !fs::exists(run.checkpoint(*step)))
    throw std::runtime_error("'" + run.root().string() + "' has no checkpoint" +
                             (step ? " step-" + std::to_string(*step) : std::string()) + ": train it first");

  configureRuntime(settings.trainer.threads);
  const torch::Device device = pickDevice(settings.trainer.accelerator);
  auto model = builtinRegistry().create({spec, resolveDataRoot(data)});
  loadModuleState(model->module(), store.loadWeights(*step),
                  (run.checkpoint(*step) / "model.safetensors").string());
  model->to(device);
  const Split split = parseSplit(options.split);
  EvalOptions eval{data.evalBatchSize, data.workers, 0, device, settings.trainer.precision == "bf16-mixed",
                   run.artifacts(), "eval_" + options.split + "_step" + std::to_string(*step) + "_"};
  const EvalResult result = evaluate(*model, split, eval);

  if (options.json) {
    Json out = {{"run", run.root().string()}, {"checkpoint", *step}, {"split", options.split}};
    Json metrics = Json::object();
    for (const auto& [k, v] : result.metrics) metrics[options.split + "/" + k] = v;
    out["metrics"] = metrics;
    Json artifacts = Json::array();
    for (const auto& a : result.artifacts) artifacts.push_back({{"kind", a.kind}, {"path", a.path.string()}});
    out["artifacts"] = artifacts;
    std::printf("%s\n", out.dump(2).c_str());
  } else {
    std::printf("%s, checkpoint step-%lld, %s split:\n", run.root().c_str(), static_cast<long long>(*step),
                options.split.c_str());
    for (const auto& [k, v] : result.metrics) std::printf("  %s/%-12s %.4f\n", options.split.c_str(), k.c_str(), v);
    for (const auto& a : result.artifacts) std::printf("  %s: %s\n", a.kind.c_str(), a.path.c_str());
  }
  return 0;
}

}  // namespace

void addEvalCommand(CLI::App& app, int& status) {
  auto options = std::make_shared<EvalCommandOptions>();
  auto* cmd = app.add_subcommand("eval", "Evaluate a run's checkpoint on a split");
  cmd->add_option("target", options->target, "Run directory, or a checkpoints/step-<N> folder of one")->required();
  cmd->add_option("--split", options->split, "Split to evaluate")->check(CLI::IsMember({"train", "val", "test"}));
  cmd->add_option("--checkpoint", options->checkpoint,
                  "best (by exp.monitor), last, or a step number (ignored when target is a checkpoint)")
      ->check(CLI::IsMember({"best", "last"}) | CLI::PositiveNumber);
  cmd->add_option("--set", options->sets, "Override a spec value, e.g. --set data.root=/data (repeatable)")
      ->allow_extra_args(false);  // one value per --set, so `--set k=v SPEC` keeps SPEC positional
  cmd->add_flag("--json", options->json, "Print the result as JSON");
  cmd->callback([options, &status] { status = evaluateCommand(*options); });
}

}  // namespace reef::engine

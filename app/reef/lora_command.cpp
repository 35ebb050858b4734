// `reef lora extract|merge RUN_OR_CHECKPOINT`: a fine-tuned run's LoRA adapters saved alone (the
// Hugging Face PEFT layout), or merged into the base weights as a new run that every other command
// (eval, generate, export) treats like any trained run.
#include "app/reef/commands.h"
#include "backend/collections/collections.h"
#include "backend/engine/core/lora.h"
#include "backend/engine/trainer/checkpoint.h"
#include "backend/engine/trainer/loaded_run.h"
#include "backend/protocol/spec.h"

#include <cstdio>
#include <fstream>

namespace fs = std::filesystem;

namespace reef::app {

namespace {

struct LoraOptions {
  std::string target, checkpoint = "best", out;
};

engine::LoadedRun loadAdaptedRun(const LoraOptions& o) {
  engine::LoadedRun loaded = engine::loadRun(collections::builtinRegistry(), o.target, o.checkpoint, {});
  if (engine::loraState(loaded.model->module()).empty())
    throw std::runtime_error("'" + o.target +
                             "' has no LoRA adapters (its spec sets model.lora_rank = 0): "
                             "nothing to extract or merge");
  return loaded;
}

int extractCommand(const LoraOptions& o) {
  const engine::LoadedRun loaded = loadAdaptedRun(o);
  const fs::path exports = loaded.bundle.empty() ? loaded.run.exports() : loaded.bundle.parent_path();
  const fs::path out = o.out.empty() ? exports / ("lora-step-" + std::to_string(loaded.step)) : fs::path(o.out);
  fs::create_directories(out);
  engine::NamedTensors adapters;
  int64_t count = 0;
  for (auto& [name, t] : engine::loraState(loaded.model->module())) {
    adapters.emplace_back("base_model.model." + name, t.detach().to(torch::kCPU).contiguous());
    count += t.numel();
  }
  engine::saveTensors(out / "adapter_model.safetensors", adapters, {{"format", "pt"}});
  const Json& m = loaded.spec.at("model");
  const Json config = {{"peft_type", "LORA"},
                       {"task_type", "CAUSAL_LM"},
                       {"r", m.at("lora_rank")},
                       {"lora_alpha", m.at("lora_alpha")},
                       {"lora_dropout", 0.0},
                       {"bias", "none"},
                       {"target_modules", engine::parseTargetList(m.at("lora_targets").get<std::string>())},
                       {"base_model_name_or_path", loaded.spec.at("trainer").at("init_from")},
                       {"reef_run", loaded.bundle.empty() ? loaded.run.root().string() : loaded.bundle.string()},
                       {"reef_step", loaded.step}};
  std::ofstream(out / "adapter_config.json") << config.dump(2) << "\n";
  std::printf("%zu adapter tensors (%lld parameters) from step %lld in %s\n", adapters.size(),
              static_cast<long long>(count), static_cast<long long>(loaded.step), out.c_str());
  return 0;
}

int mergeCommand(const LoraOptions& o) {
  engine::LoadedRun loaded = loadAdaptedRun(o);
  const int merged = engine::mergeLora(loaded.model->module());
  Json spec = loaded.spec;
  spec["model"]["lora_rank"] = 0;
  const protocol::RunDir run =
      o.out.empty() ? protocol::RunDir::create(protocol::RunDir::defaultWorkspace()) : protocol::RunDir(o.out);
  if (fs::exists(run.spec()))
    throw std::runtime_error("'" + run.root().string() + "' is already a run: choose a new --out");
  run.createLayout();
  engine::writeRunSpec(run, spec);
  engine::TrainerState state;
  state.step = loaded.step;
  state.specHash = protocol::specHash(spec);
  engine::CheckpointStore(run).save(state, engine::moduleState(loaded.model->module()), {});
  std::printf("merged %d adapters of %s step %lld into %s\n", merged, loaded.run.root().c_str(),
              static_cast<long long>(loaded.step), run.root().c_str());
  return 0;
}

}  // namespace

void addLoraCommand(CLI::App& app, int& status) {
  auto* lora =
      app.add_subcommand("lora", "Save a fine-tuned run's LoRA adapters alone, or merge them into its weights");
  lora->require_subcommand(1);
  auto addTarget = [](CLI::App* cmd, LoraOptions& o) {
    cmd->add_option("target", o.target, "Run directory, or a checkpoints/step-<N> folder of one")->required();
    cmd->add_option("--checkpoint", o.checkpoint, "best, last, or a step number");
  };
  auto extract = std::make_shared<LoraOptions>();
  auto* e = lora->add_subcommand("extract", "Write adapter_model.safetensors + adapter_config.json (PEFT layout)");
  addTarget(e, *extract);
  e->add_option("--out", extract->out, "Folder (default: <run>/exports/lora-step-<N>)");
  e->callback([extract, &status] { status = extractCommand(*extract); });
  auto merge = std::make_shared<LoraOptions>();
  auto* m = lora->add_subcommand("merge", "Fold the adapters into the base weights, as a new run directory");
  addTarget(m, *merge);
  m->add_option("--out", merge->out, "New run directory (default: a new run in the workspace)");
  m->callback([merge, &status] { status = mergeCommand(*merge); });
}

}  // namespace reef::app

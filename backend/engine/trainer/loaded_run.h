#pragma once
// Opening a trained run for use: RUN_OR_CHECKPOINT (a run directory, or a checkpoints/step-<N>
// folder in one), its resolved spec, the chosen checkpoint's weights in a freshly built model.
#include "backend/engine/core/model.h"
#include "backend/engine/core/registry.h"
#include "backend/engine/trainer/settings.h"
#include "backend/protocol/run_dir.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace reef::engine {

struct LoadedRun {
  protocol::RunDir run{""};  // empty for a bundle
  std::filesystem::path bundle;
  std::shared_ptr<const std::filesystem::path> assets;  // a bundle's unpacked files, removed with the last copy
  Json spec;
  RunSettings settings;
  int64_t step = 0;
  torch::Device device = torch::kCPU;
  std::unique_ptr<Model> model;
};

// `target`: a run directory, a checkpoints/step-<N> folder or a .reef bundle. checkpoint: "best"
// (by exp.monitor), "last", or a step number; ignored unless `target` is a run. `sets` override
// spec values (section.key=value).
LoadedRun loadRun(const Registry& registry, const std::string& target, const std::string& checkpoint,
                  const std::vector<std::string>& sets);

// "collection/arch" of the loaded model.
std::string modelKind(const LoadedRun& loaded);

// A name that exports and served models can carry: exp.name, else the run id (the run folder's
// name), else the bundle's file name. The designer's default spec has no exp.name.
std::string modelName(const LoadedRun& loaded);

// The loaded model as a command needs it; otherwise throws "reef <command> needs <what>; '<target>'
// is a <collection>/<arch> run".
template <typename M>
M& modelAs(const LoadedRun& loaded, const std::string& command, const std::string& what, const std::string& target) {
  if (auto* m = dynamic_cast<M*>(loaded.model.get())) return *m;
  throw std::runtime_error("reef " + command + " needs " + what + "; '" + target + "' is a " + modelKind(loaded) +
                           " run");
}

// Writes `loaded`'s model as a .reef bundle (weights, resolved spec, the model's inference assets).
void writeBundleOf(const LoadedRun& loaded, const std::filesystem::path& file);

// Writes the run's spec.yaml (resolved: every key) atomically.
void writeRunSpec(const protocol::RunDir& run, const Json& resolved);

}  // namespace reef::engine

#pragma once
// Opening a trained run for use: RUN_OR_CHECKPOINT (a run directory, or a checkpoints/step-<N>
// folder in one), its resolved spec, the chosen checkpoint's weights in a freshly built model.
#include "core/model.h"
#include "protocol/run_dir.h"
#include "trainer/settings.h"

#include <memory>
#include <string>
#include <vector>

namespace reef::engine {

struct LoadedRun {
  protocol::RunDir run{""};
  Json spec;
  RunSettings settings;
  int64_t step = 0;
  torch::Device device = torch::kCPU;
  std::unique_ptr<Model> model;
};

// checkpoint: "best" (by exp.monitor), "last", or a step number; ignored when `target` names a
// checkpoint. `sets` override spec values (section.key=value).
LoadedRun loadRun(const std::string& target, const std::string& checkpoint, const std::vector<std::string>& sets);

// Writes the run's spec.yaml (resolved: every key) atomically.
void writeRunSpec(const protocol::RunDir& run, const Json& resolved);

}  // namespace reef::engine

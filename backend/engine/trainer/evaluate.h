#pragma once
// One pass of a model over a split: the shared path of validation, the end-of-training test and
// `reef eval`.
#include "backend/engine/core/model.h"

#include <torch/torch.h>

#include <filesystem>
#include <optional>

namespace reef::engine {

// Turns on mixed-precision autocast for its lifetime when `enabled`.
class AutocastScope {
 public:
  AutocastScope(bool enabled, const torch::Device& device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool enabled_;
  torch::Device device_;
};

struct EvalOptions {
  int64_t batchSize = 256;
  int workers = 0;
  int64_t limitBatches = 0;  // 0: all
  torch::Device device = torch::kCPU;
  bool bf16 = false;
  std::optional<std::filesystem::path> artifactDir;  // where artifacts go, if anywhere
  std::string artifactPrefix;
};

struct EvalResult {
  MetricMap metrics;  // without split prefix
  std::vector<Artifact> artifacts;
};

EvalResult evaluate(Model& model, Split split, const EvalOptions& options);

}  // namespace reef::engine

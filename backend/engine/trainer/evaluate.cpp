#include "backend/engine/trainer/evaluate.h"

#include "backend/engine/core/data_loader.h"
#include "backend/engine/core/torch_compat.h"

#include <stdexcept>

namespace reef::engine {

AutocastScope::AutocastScope(bool enabled, const torch::Device& device) : enabled_(enabled), device_(device) {
  if (enabled_) compat::setAutocast(device_, true, torch::kBFloat16);
}

AutocastScope::~AutocastScope() {
  if (enabled_) compat::setAutocast(device_, false, torch::kBFloat16);
}

EvalResult evaluate(Model& model, Split split, const EvalOptions& options) {
  auto dataset = model.dataset(split);
  if (!dataset || dataset->size() == 0)
    throw std::runtime_error(std::string("the ") + splitName(split) + " split is empty");
  DataLoader loader(dataset, {options.batchSize, /*shuffle=*/false, /*dropLast=*/false, 0, options.workers, 2});
  auto evaluation = model.evaluation(split);
  torch::NoGradGuard noGrad;
  const bool wasTraining = model.module().is_training();
  model.module().eval();
  int64_t batches = loader.batchesPerEpoch();
  if (options.limitBatches > 0) batches = std::min(batches, options.limitBatches);
  for (int64_t i = 0; i < batches; ++i) {
    Batch batch = loader.next().to(options.device);
    AutocastScope autocast(options.bf16, options.device);
    evaluation->update(batch);
  }
  model.module().train(wasTraining);
  EvalResult result;
  result.metrics = evaluation->finish();
  if (options.artifactDir) {
    std::filesystem::create_directories(*options.artifactDir);
    result.artifacts = evaluation->writeArtifacts(*options.artifactDir, options.artifactPrefix);
  }
  return result;
}

}  // namespace reef::engine

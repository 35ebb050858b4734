#pragma once
// The model interface, in the spirit of NeMo's ModelPT: a collection's model is built from the
// resolved spec, provides its datasets, computes the training loss of a batch and evaluates a
// split. The trainer owns everything else (loop, optimizer, checkpoints, events).
#include "backend/engine/core/dataset.h"
#include "backend/protocol/json.h"

#include <torch/torch.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace reef::engine {

using MetricMap = std::map<std::string, double>;

struct Artifact {
  std::string kind;  // e.g. "confusion_matrix"
  std::filesystem::path path;
};

// Accumulates one pass over a split. update() runs under torch::NoGradGuard in eval mode.
class Evaluation {
 public:
  virtual ~Evaluation() = default;
  virtual void update(const Batch& batch) = 0;
  // Metrics without the split prefix ("loss", "acc"); the caller names them "val/acc" etc.
  virtual MetricMap finish() = 0;
  // Writes whatever a person inspects beyond numbers (confusion matrix, samples) into `dir`,
  // file names starting with `prefix`. Called after finish().
  virtual std::vector<Artifact> writeArtifacts(const std::filesystem::path& dir, const std::string& prefix) {
    (void)dir;
    (void)prefix;
    return {};
  }
};

class ProcessGroup;
class FullyShardedUnit;

struct ModelContext {
  Json spec;                       // resolved
  std::filesystem::path dataRoot;  // where prepared datasets live
  // trainer.tensor_parallel > 1: the ranks that split this model's layers (null otherwise).
  std::shared_ptr<ProcessGroup> tensorParallel{};
  // trainer.expert_parallel > 1: the ranks that split this model's experts (null otherwise).
  std::shared_ptr<ProcessGroup> expertParallel{};
};

class Model {
 public:
  virtual ~Model() = default;
  // The trainable network; its named parameters and buffers are what checkpoints hold.
  virtual torch::nn::Module& module() = 0;
  virtual std::shared_ptr<Dataset> dataset(Split split) = 0;
  // Forward pass and loss of one training batch (already on the model's device).
  virtual torch::Tensor trainingStep(const Batch& batch) = 0;
  virtual std::unique_ptr<Evaluation> evaluation(Split split) = 0;
  // Floating-point operations of one training token (forward and backward), for model FLOPs
  // utilisation; 0 when the model does not say.
  virtual double trainingFlopsPerToken() const { return 0; }
  // Whether the model splits its layers across ModelContext::tensorParallel.
  virtual bool supportsTensorParallel() const { return false; }
  // Whether the model has experts to split across ModelContext::expertParallel.
  virtual bool supportsExpertParallel() const { return false; }
  // FSDP: wraps the model's blocks into units sharded over `group` and routes its forward through
  // them; the units, named by their module paths. Empty: the model has no blocks to shard.
  virtual std::vector<FullyShardedUnit*> shardFully(const std::shared_ptr<ProcessGroup>& group) {
    (void)group;
    return {};
  }
  // Name prefixes of the tensors that belong to the model's task rather than to what a pretrained
  // run shares with it ("head."): `trainer.init_from` starts them afresh where the source lacks
  // them or holds them in another shape. Every other tensor must come from the source.
  virtual std::vector<std::string> taskHeads() const { return {}; }
  // The files under the data root that building this model for inference needs (its tokenizer),
  // which a bundle carries; nullopt when the model cannot be built without its datasets.
  virtual std::optional<std::vector<std::filesystem::path>> inferenceAssets() const { return std::nullopt; }
  // Moves the network to `device`; models with layout preferences (channels-last) keep them.
  virtual void to(const torch::Device& device) { module().to(device); }
};

}  // namespace reef::engine

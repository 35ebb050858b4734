#pragma once
// SGD, Adam and AdamW, written for the engine rather than taken from torch::optim: their state is
// keyed by parameter name, so it can be saved in safetensors, resumed bit-exactly and (later)
// sharded across ranks.
#include "backend/engine/core/tensor_io.h"
#include "backend/engine/parallel/process_group.h"
#include "backend/engine/trainer/settings.h"

#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace reef::engine {

class Optimizer {
 public:
  Optimizer(NamedTensors parameters, OptimSettings settings);

  // One update from the parameters' .grad() at learning rate `lr`; parameters without a gradient
  // are left alone.
  void step(double lr);
  // Drops the gradients, so the next backward allocates them instead of adding to zeros.
  void zeroGrad();
  // Parameters split across `group` (tensor parallelism): their squared gradient norms are summed
  // over the group, so the norm is that of the whole model.
  void setSharded(std::shared_ptr<ProcessGroup> group, const std::function<bool(const std::string&)>& isSharded);
  // Weight decay for part of a parameter only: a flat FSDP shard holds matrices (decayed) and
  // vectors (not); `mask` is 1 where decay applies.
  void setDecayMask(const std::string& name, torch::Tensor mask);
  // sqrt of the sum of squared gradient norms over all parameters.
  double gradNorm() const;
  // Scales gradients so their global norm is at most maxNorm; returns the norm before clipping.
  double clipGradNorm(double maxNorm);

  int64_t steps() const { return steps_; }
  // "<param>.momentum" (sgd) or "<param>.exp_avg" and "<param>.exp_avg_sq" (adam, adamw).
  NamedTensors state() const;
  void loadState(const std::map<std::string, torch::Tensor>& tensors, int64_t steps, const std::string& source);

 private:
  struct Slot {
    std::string name;
    torch::Tensor param;
    bool decay;
    torch::Tensor m;  // momentum buffer or first moment
    torch::Tensor v;  // second moment
    bool sharded = false;
    torch::Tensor decayMask{};  // defined: decay these elements only
  };
  std::vector<Slot> slots_;
  OptimSettings settings_;
  int64_t steps_ = 0;
  std::shared_ptr<ProcessGroup> shardGroup_;
};

}  // namespace reef::engine

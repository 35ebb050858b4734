#pragma once
// The model's parameters as one rank holds and updates them: an FSDP unit's flat shard stands for
// the parameters inside it (which exist only while gathered), tensors split across a tensor- or
// expert-parallel group are this rank's slices, the rest is replicated. Says what the optimizer
// updates, what data parallelism averages, and how big the whole model is.
#include "backend/engine/core/tensor_io.h"
#include "backend/engine/parallel/fully_sharded.h"
#include "backend/engine/parallel/tensor_parallel.h"

#include <string>
#include <vector>

namespace reef::engine {

class ParameterPartition {
 public:
  // `layout`: the tensors split across a group of `splitSize` ranks (empty when none is);
  // `expertParallel`: those split tensors are experts, averaged over their own replicas.
  ParameterPartition(torch::nn::Module& net, std::vector<FullyShardedUnit*> units, TensorParallelLayout layout,
                     int splitSize, bool expertParallel);

  // Whether `name` (a parameter or buffer) lives inside an FSDP unit.
  bool inUnit(const std::string& name) const;
  // The unit whose flat shard (or its optimizer state) `name` is, or nullptr.
  FullyShardedUnit* unitOfShard(const std::string& name) const;
  // Whether `name` (a parameter, or its optimizer state) is split across the group.
  bool isSplit(const std::string& name) const { return splitDimension(layout_, name) >= 0; }

  const NamedTensors& parameters() const { return parameters_; }  // what the optimizer updates
  const NamedTensors& replicated() const { return replicated_; }  // averaged over the data-parallel group
  const NamedTensors& experts() const { return experts_; }        // averaged over the expert replicas
  // The module state rank 0 broadcasts so that every replica starts alike: all but unit
  // members and experts.
  NamedTensors replicatedState() const;
  const std::vector<FullyShardedUnit*>& units() const { return units_; }
  const TensorParallelLayout& layout() const { return layout_; }
  int splitSize() const { return splitSize_; }

  // Of the whole model, as one process would hold it.
  int64_t parameterCount() const;
  int64_t trainableCount() const;

 private:
  torch::nn::Module& net_;
  std::vector<FullyShardedUnit*> units_;
  TensorParallelLayout layout_;
  int splitSize_;
  bool expertParallel_;
  NamedTensors parameters_, replicated_, experts_;
};

}  // namespace reef::engine

#pragma once
// FSDP / ZeRO-3: a wrapped module's parameters live as one flat shard per rank. They are
// all-gathered for the module's forward and freed after; gathered again in backward, where the
// forward is recomputed (as activation checkpointing does) to obtain the gradients, which are
// reduce-scattered back onto the shards. The optimizer sees only shards, so its state is sharded
// too. LibTorch has no module hooks, so a model calls its units through forward() explicitly.
#include "backend/engine/core/tensor_io.h"
#include "backend/engine/parallel/process_group.h"

#include <torch/torch.h>

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace reef::engine {

class FullyShardedUnit {
 public:
  // `module` keeps its parameters' names and shapes; their data moves into the shard.
  FullyShardedUnit(std::string name, std::shared_ptr<torch::nn::Module> module, std::shared_ptr<ProcessGroup> group);

  // Runs `run(input)` (which uses the module) with the parameters gathered.
  torch::Tensor forward(const torch::Tensor& input, std::function<torch::Tensor(const torch::Tensor&)> run);

  const std::string& name() const { return name_; }
  int64_t paddedSize() const { return padded_; }
  // "<param>" -> (offset in the flat buffer, shape), in order.
  std::vector<std::pair<std::string, std::pair<int64_t, std::vector<int64_t>>>> layout() const;
  // This rank's slice of the flat parameters: what the optimizer updates.
  torch::Tensor& shard() { return shard_; }
  // Parameters in the module (padding excluded).
  int64_t numel() const { return numel_; }
  // The full parameters by name ("<unit>.<param>"), gathered from every rank.
  NamedTensors gatherFull() const;
  // Takes full parameters (from any world size's checkpoint) and keeps this rank's slice.
  void loadFull(const std::map<std::string, torch::Tensor>& tensors, const std::string& source);
  // The same for any tensor laid out like the shard (optimizer moments): gathered and split into
  // "<unit>.<param><suffix>", or cut from those names back to this rank's slice.
  NamedTensors gatherFlat(const torch::Tensor& shardLike, const std::string& suffix) const;
  torch::Tensor sliceFlat(const std::map<std::string, torch::Tensor>& tensors, const std::string& suffix,
                          const std::string& source) const;
  // 1 where the shard holds elements of matrices (decayed by the optimizer), 0 elsewhere.
  torch::Tensor matrixMask() const;

  // Internals for the autograd function.
  void materialize(const torch::Tensor& flat);
  void release();
  const std::function<torch::Tensor(const torch::Tensor&)>& runner() const { return run_; }
  std::shared_ptr<ProcessGroup> group() const { return group_; }
  torch::Tensor flatGradient() const;

 private:
  std::string name_;
  std::shared_ptr<torch::nn::Module> module_;
  std::shared_ptr<ProcessGroup> group_;
  std::vector<std::pair<std::string, torch::Tensor>> params_;  // the module's own parameter handles
  std::vector<std::vector<int64_t>> shapes_;
  std::vector<int64_t> offsets_;
  int64_t numel_ = 0, padded_ = 0;
  torch::Tensor shard_;
  std::function<torch::Tensor(const torch::Tensor&)> run_;
};

// Sharded checkpoints: each rank writes "fsdp-rank-<r>.safetensors" in `dir` with its shard of
// every unit's flat parameters ("<unit>.flat") and of the tensors laid out like them in
// `shardLike` ("<unit>.flat<suffix>": optimizer moments); rank 0 adds the layout. Nothing is
// gathered. Any world size (1 included) reads them back.
void saveShardedState(const std::filesystem::path& dir, const std::vector<FullyShardedUnit*>& units,
                      const ProcessGroup& group, const NamedTensors& shardLike = {});
bool hasShardedState(const std::filesystem::path& dir);
// The suffixes saved ("" for the parameters, ".exp_avg", ...).
std::vector<std::string> shardedSuffixes(const std::filesystem::path& dir);
// Whole tensors reassembled from every rank's shards, for each of `suffixes` (from
// shardedSuffixes): suffix -> "<unit>.<param><suffix>" -> tensor. Each rank's file is read once.
std::map<std::string, std::map<std::string, torch::Tensor>> readShardedState(const std::filesystem::path& dir,
                                                                             const std::vector<std::string>& suffixes);
// Each unit keeps its slice of the parameters of a sharded checkpoint.
void loadShardedState(const std::filesystem::path& dir, const std::vector<FullyShardedUnit*>& units);

}  // namespace reef::engine

#pragma once
// Tensor parallelism in the Megatron-Core sense: linear layers whose weight is split across the
// ranks of a group by output rows (column-parallel) or input columns (row-parallel), a
// vocabulary-parallel embedding, and the cross-entropy over vocabulary-parallel logits. Each
// shard is sliced from the same full initialisation, so a group of one is the plain layer.
#include "parallel/process_group.h"

#include <torch/torch.h>

#include <memory>

namespace reef::engine {

// y = x W^T + b with W's output rows split across the group. The output stays split unless
// gatherOutput (then every rank has all of it).
class ColumnParallelLinearImpl : public torch::nn::Module {
 public:
  ColumnParallelLinearImpl(int64_t in, int64_t out, std::shared_ptr<ProcessGroup> group, bool bias = true,
                           bool gatherOutput = false);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;

 private:
  std::shared_ptr<ProcessGroup> group_;
  bool gatherOutput_;
};
TORCH_MODULE(ColumnParallelLinear);

// y = x W^T + b with W's input columns split across the group; the partial products are summed.
// inputIsSplit: x already holds this rank's columns (the output of a column-parallel layer).
class RowParallelLinearImpl : public torch::nn::Module {
 public:
  RowParallelLinearImpl(int64_t in, int64_t out, std::shared_ptr<ProcessGroup> group, bool bias = true,
                        bool inputIsSplit = true);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;

 private:
  std::shared_ptr<ProcessGroup> group_;
  bool inputIsSplit_;
};
TORCH_MODULE(RowParallelLinear);

// An embedding table whose rows (the vocabulary) are split across the group.
class VocabParallelEmbeddingImpl : public torch::nn::Module {
 public:
  VocabParallelEmbeddingImpl(int64_t vocab, int64_t dim, std::shared_ptr<ProcessGroup> group);
  torch::Tensor forward(const torch::Tensor& ids);
  torch::Tensor weight;
  int64_t firstRow() const { return first_; }

 private:
  std::shared_ptr<ProcessGroup> group_;
  int64_t first_, rows_;
};
TORCH_MODULE(VocabParallelEmbedding);

// Mean cross-entropy of logits [N, V / group] (this rank's slice of the vocabulary, starting at
// firstClass) against global targets [N], without ever gathering the full logits.
torch::Tensor vocabParallelCrossEntropy(const torch::Tensor& logits, const torch::Tensor& targets, int64_t firstClass,
                                        const std::shared_ptr<ProcessGroup>& group);

}  // namespace reef::engine

#pragma once
// Tensor parallelism in the Megatron-Core sense: linear layers whose weight is split across the
// ranks of a group by output rows (column-parallel) or input columns (row-parallel), a
// vocabulary-parallel embedding, and the cross-entropy over vocabulary-parallel logits. Each
// shard is sliced from the same full initialisation, so a group of one is the plain layer.
#include "backend/engine/core/tensor_io.h"
#include "backend/engine/parallel/process_group.h"

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>

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

// Cross-entropy of each row of logits [N, V / group] (this rank's slice of the vocabulary,
// starting at firstClass) against global targets [N], without ever gathering the full logits: [N].
torch::Tensor vocabParallelCrossEntropy(const torch::Tensor& logits, const torch::Tensor& targets, int64_t firstClass,
                                        const std::shared_ptr<ProcessGroup>& group);

// Where each tensor-parallel parameter of `module` is split: its name -> the dimension cut across
// the group (column-parallel rows, row-parallel columns, embedding rows). Absent names are whole
// on every rank. Optimizer state named "<parameter>.<slot>" follows its parameter.
using TensorParallelLayout = std::map<std::string, int64_t>;
TensorParallelLayout tensorParallelLayout(torch::nn::Module& module);

// The split dimension of `name` (a parameter, or its optimizer state), or -1 when it is whole.
int64_t splitDimension(const TensorParallelLayout& layout, const std::string& name);

// Whole tensors from this rank's shards (every member of the group calls it), and back: what a
// checkpoint holds is the model as one process would have it, loadable at any tensor-parallel size.
NamedTensors gatherShards(const NamedTensors& local, const TensorParallelLayout& layout,
                          const std::shared_ptr<ProcessGroup>& group);
std::map<std::string, torch::Tensor> sliceShards(const std::map<std::string, torch::Tensor>& whole,
                                                 const TensorParallelLayout& layout,
                                                 const std::shared_ptr<ProcessGroup>& group);

}  // namespace reef::engine

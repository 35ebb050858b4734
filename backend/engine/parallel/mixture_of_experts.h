#pragma once
// Mixture of experts with expert parallelism: a top-k router with the Switch/GShard
// load-balancing loss and a capacity factor; the experts (SiLU MLPs) split across the ranks of an
// expert-parallel group, tokens sent to their experts' ranks and back with all-to-all. With a
// group of one, all experts are local and no communication happens.
#include "backend/engine/parallel/process_group.h"
#include "backend/engine/parallel/tensor_parallel.h"

#include <torch/torch.h>

#include <memory>

namespace reef::engine {

struct MoeOptions {
  int64_t dim = 0;
  int64_t hidden = 0;
  int64_t experts = 8;
  int64_t topK = 2;
  double capacityFactor = 1.25;  // slots per expert: ceil(factor * tokens * topK / experts)
};

class MixtureOfExpertsImpl : public torch::nn::Module {
 public:
  MixtureOfExpertsImpl(MoeOptions options, std::shared_ptr<ProcessGroup> expertGroup);

  // x [tokens, dim] (this rank's tokens) -> [tokens, dim].
  torch::Tensor forward(const torch::Tensor& x);
  // The load-balancing loss of the last forward, from the statistics of every rank's tokens:
  // experts * sum_e(fraction routed to e * mean router probability of e). It has the same value
  // on every rank; add it (weighted) to each rank's loss as it is: its gradient reaches only that
  // rank's tokens, so the sum over ranks of the router's gradients is the full one.
  torch::Tensor auxLoss() const { return aux_; }
  // Share of this rank's token-slots dropped by the capacity limit in the last forward.
  double droppedFraction() const { return dropped_; }

  torch::nn::Linear router{nullptr};
  torch::Tensor w1, w2;  // this rank's experts: [local, hidden, dim], [local, dim, hidden]

 private:
  MoeOptions options_;
  std::shared_ptr<ProcessGroup> group_;
  int64_t localExperts_;
  torch::Tensor aux_;
  double dropped_ = 0;
};
TORCH_MODULE(MixtureOfExperts);

// The expert weights of every mixture of experts in `module` ("<path>.w1", "<path>.w2"), split by
// their first dimension across the expert-parallel group: with gatherShards/sliceShards, what a
// checkpoint holds is every expert, loadable at any expert-parallel size.
TensorParallelLayout expertParallelLayout(torch::nn::Module& module);

}  // namespace reef::engine

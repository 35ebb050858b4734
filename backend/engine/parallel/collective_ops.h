#pragma once
// Collectives as differentiable operations (Megatron's "regions"), so that parallel layers keep
// autograd exact: each forward collective has the matching collective in backward.
#include "backend/engine/parallel/process_group.h"

#include <torch/torch.h>

#include <memory>
#include <vector>

namespace reef::engine::collective {

// Autograd contexts hold IValues, not C++ objects: groups travel through them as these numbers.
int64_t groupId(const std::shared_ptr<ProcessGroup>& group);
std::shared_ptr<ProcessGroup> groupById(int64_t id);

// Identity forward; gradients summed over the group backward (input of column-parallel layers).
torch::Tensor copyToGroup(const torch::Tensor& x, const std::shared_ptr<ProcessGroup>& group);
// Sum over the group forward; identity backward (output of row-parallel layers).
torch::Tensor reduceFromGroup(const torch::Tensor& x, const std::shared_ptr<ProcessGroup>& group);
// Concatenation of every rank's `x` along the last dimension; backward keeps this rank's slice.
torch::Tensor gatherLastDim(const torch::Tensor& x, const std::shared_ptr<ProcessGroup>& group);
// This rank's slice of the last dimension; backward gathers.
torch::Tensor splitLastDim(const torch::Tensor& x, const std::shared_ptr<ProcessGroup>& group);
// Rows of `x` exchanged all-to-all (inSplits[r] rows to rank r, outSplits[r] from it); backward
// sends the gradients back the same way.
torch::Tensor allToAll(const torch::Tensor& x, const std::vector<int64_t>& inSplits,
                       const std::vector<int64_t>& outSplits, const std::shared_ptr<ProcessGroup>& group);

}  // namespace reef::engine::collective

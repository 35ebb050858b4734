#pragma once
// The collectives Reef's parallel strategies use, over LibTorch's c10d: Gloo on CPU, NCCL on
// GPUs, rendezvous through a TCPStore. Where Debian's Gloo lacks an operation (reduce-scatter,
// average) a correct fallback built from the ones it has is used.
#include "backend/engine/parallel/dist_env.h"

#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace reef::engine {

// A collective in flight; wait() blocks until it is done (and rethrows its error).
class PendingCollective {
 public:
  virtual ~PendingCollective() = default;
  virtual void wait() = 0;
};

class ProcessGroup {
 public:
  virtual ~ProcessGroup() = default;

  // Joins the job described by `env` (rank 0 serves the store). Collectives time out after
  // `timeout`, so a dead peer cannot hang the others forever.
  static std::shared_ptr<ProcessGroup> create(const DistEnv& env, const torch::Device& device,
                                              std::chrono::milliseconds timeout);

  virtual int rank() const = 0;
  virtual int size() const = 0;
  virtual std::string backend() const = 0;

  virtual std::unique_ptr<PendingCollective> allReduceSumAsync(torch::Tensor& tensor) = 0;
  void allReduceSum(torch::Tensor& tensor) { allReduceSumAsync(tensor)->wait(); }
  virtual void allReduceMax(torch::Tensor& tensor) = 0;
  // Sum then divide: Gloo has no ReduceOp::AVG.
  void allReduceMean(torch::Tensor& tensor);
  virtual void broadcast(torch::Tensor& tensor, int root) = 0;
  // Every rank's `tensor` (same shape everywhere), concatenated along dimension 0 in rank order.
  virtual torch::Tensor allGather(const torch::Tensor& tensor) = 0;
  // `input` holds size() equal parts along dimension 0; returns this rank's part of their sum.
  virtual torch::Tensor reduceScatterSum(const torch::Tensor& input) = 0;
  // Sends inSplits[r] rows of `input` to rank r and receives outSplits[r] rows from it.
  virtual torch::Tensor allToAll(const torch::Tensor& input, const std::vector<int64_t>& inSplits,
                                 const std::vector<int64_t>& outSplits) = 0;
  virtual void barrier() = 0;
  // A group of some ranks of this one (their ranks in this group, ascending). Every member must
  // call it with the same list and the same name; ranks outside the list get nullptr.
  virtual std::shared_ptr<ProcessGroup> subgroup(const std::vector<int>& ranks, const std::string& name) = 0;
};

// A group of one process: every collective is the identity. Lets strategies run unchanged
// without a job.
std::shared_ptr<ProcessGroup> singleProcessGroup();

}  // namespace reef::engine

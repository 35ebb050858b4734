#pragma once
// DDP: every rank holds the whole model; gradients are averaged across ranks in buckets, each
// bucket's all-reduce started from the autograd hooks as soon as its last gradient is computed,
// so communication overlaps the rest of the backward pass.
#include "backend/engine/core/tensor_io.h"
#include "backend/engine/parallel/process_group.h"

#include <torch/torch.h>

#include <memory>
#include <vector>

namespace reef::engine {

class DataParallel {
 public:
  DataParallel(std::shared_ptr<ProcessGroup> group, NamedTensors parameters, size_t bucketBytes = 25u << 20);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  // Copies rank 0's parameters and buffers to every rank.
  void broadcastFrom0(const NamedTensors& state);
  // Off for the micro-batches of gradient accumulation before the last (no_sync): their
  // gradients stay local and join the all-reduce of the last one.
  void setSync(bool on) { sync_ = on; }
  // After backward: finishes every bucket and leaves the averaged gradients in .grad.
  void finishGradients();

  size_t bucketCount() const { return buckets_.size(); }

 private:
  struct Bucket {
    std::vector<size_t> params;
    torch::Tensor flat;
    size_t ready = 0;
    bool launched = false;
    std::unique_ptr<PendingCollective> pending;
  };
  void onGradient(size_t param, const torch::Tensor& grad);
  void launchInOrder();
  void resetBuckets();

  std::shared_ptr<ProcessGroup> group_;
  std::vector<torch::Tensor> params_;
  std::vector<size_t> bucketOf_, offsetOf_;
  std::vector<bool> ready_;
  std::vector<Bucket> buckets_;
  std::vector<unsigned> hooks_;
  size_t nextToLaunch_ = 0;
  bool sync_ = true;
};

}  // namespace reef::engine

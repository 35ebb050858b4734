#include "backend/engine/parallel/data_parallel.h"

namespace reef::engine {

DataParallel::DataParallel(std::shared_ptr<ProcessGroup> group, NamedTensors parameters, size_t bucketBytes)
    : group_(std::move(group)) {
  for (auto& [name, p] : parameters)
    if (p.requires_grad()) params_.push_back(p);
  // Buckets in reverse order of declaration: the order in which backward produces gradients.
  bucketOf_.resize(params_.size());
  offsetOf_.resize(params_.size());
  ready_.assign(params_.size(), false);
  size_t bytes = bucketBytes;
  for (size_t k = params_.size(); k-- > 0;) {
    const size_t size = static_cast<size_t>(params_[k].numel()) * params_[k].element_size();
    if (buckets_.empty() || bytes + size > bucketBytes) {
      buckets_.emplace_back();
      bytes = 0;
    }
    Bucket& b = buckets_.back();
    int64_t offset = 0;
    for (size_t q : b.params) offset += params_[q].numel();
    bucketOf_[k] = buckets_.size() - 1;
    offsetOf_[k] = static_cast<size_t>(offset);
    b.params.push_back(k);
    bytes += size;
  }
  for (auto& b : buckets_) {
    int64_t total = 0;
    for (size_t q : b.params) total += params_[q].numel();
    b.flat = torch::zeros({total}, params_[b.params.front()].options());
  }
  for (size_t k = 0; k < params_.size(); ++k)
    hooks_.push_back(params_[k].register_hook([this, k](torch::Tensor grad) {
      onGradient(k, grad);
      return grad;
    }));
}

DataParallel::~DataParallel() {
  for (size_t k = 0; k < params_.size(); ++k) params_[k].remove_hook(hooks_[k]);
}

void DataParallel::broadcastFrom0(const NamedTensors& state) {
  torch::NoGradGuard noGrad;
  for (const auto& [name, t] : state) {
    torch::Tensor buffer = t.detach().contiguous();
    group_->broadcast(buffer, 0);
    if (!buffer.is_same(t)) t.detach().copy_(buffer);
  }
}

void DataParallel::onGradient(size_t k, const torch::Tensor& grad) {
  if (!sync_ || group_->size() == 1) return;
  // The hook sees the gradient before it is added to .grad: the total is what .grad will hold.
  const torch::Tensor& existing = params_[k].grad();
  Bucket& b = buckets_[bucketOf_[k]];
  torch::NoGradGuard noGrad;
  torch::Tensor slot = b.flat.narrow(0, static_cast<int64_t>(offsetOf_[k]), params_[k].numel());
  if (existing.defined())
    slot.copy_((existing + grad).reshape(-1));
  else
    slot.copy_(grad.reshape(-1));
  if (!ready_[k]) {
    ready_[k] = true;
    ++b.ready;
  }
  launchInOrder();
}

void DataParallel::launchInOrder() {
  // Every rank launches buckets in the same order, whatever order its hooks fired in.
  while (nextToLaunch_ < buckets_.size() && buckets_[nextToLaunch_].ready == buckets_[nextToLaunch_].params.size()) {
    Bucket& b = buckets_[nextToLaunch_++];
    b.pending = group_->allReduceSumAsync(b.flat);
    b.launched = true;
  }
}

void DataParallel::finishGradients() {
  if (!sync_ || group_->size() == 1) return;
  torch::NoGradGuard noGrad;
  // Parameters that took no part in this forward have no hook call: their current gradient (or
  // zeros) joins the average, as every rank must send the same buckets.
  for (size_t k = 0; k < params_.size(); ++k) {
    if (ready_[k]) continue;
    Bucket& b = buckets_[bucketOf_[k]];
    torch::Tensor slot = b.flat.narrow(0, static_cast<int64_t>(offsetOf_[k]), params_[k].numel());
    if (params_[k].grad().defined())
      slot.copy_(params_[k].grad().reshape(-1));
    else
      slot.zero_();
    ready_[k] = true;
    ++b.ready;
  }
  launchInOrder();
  const double inverse = 1.0 / group_->size();
  for (auto& b : buckets_) {
    b.pending->wait();
    b.flat.mul_(inverse);
    for (size_t k : b.params) {
      torch::Tensor averaged =
          b.flat.narrow(0, static_cast<int64_t>(offsetOf_[k]), params_[k].numel()).view(params_[k].sizes());
      torch::Tensor grad = torch::empty_like(params_[k]);
      grad.copy_(averaged);
      params_[k].mutable_grad() = grad;
    }
  }
  resetBuckets();
}

void DataParallel::resetBuckets() {
  for (auto& b : buckets_) {
    b.ready = 0;
    b.launched = false;
    b.pending.reset();
  }
  std::fill(ready_.begin(), ready_.end(), false);
  nextToLaunch_ = 0;
}

}  // namespace reef::engine

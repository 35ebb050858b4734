#include "backend/engine/parallel/tensor_parallel.h"

#include "backend/engine/core/dense_products.h"
#include "backend/engine/parallel/collective_ops.h"

#include <stdexcept>

namespace reef::engine {

namespace F = torch::nn::functional;

namespace {

int64_t part(int64_t total, const std::shared_ptr<ProcessGroup>& group, const char* what) {
  if (total % group->size() != 0)
    throw std::invalid_argument(std::string(what) + " " + std::to_string(total) +
                                " is not divisible by the tensor-parallel size " + std::to_string(group->size()));
  return total / group->size();
}

}  // namespace

ColumnParallelLinearImpl::ColumnParallelLinearImpl(int64_t in, int64_t out, std::shared_ptr<ProcessGroup> group,
                                                   bool hasBias, bool gatherOutput)
    : group_(std::move(group)), gatherOutput_(gatherOutput) {
  const int64_t rows = part(out, group_, "output features");
  torch::nn::Linear full(torch::nn::LinearOptions(in, out).bias(hasBias));  // same RNG on every rank
  weight = register_parameter("weight", full->weight.detach().narrow(0, group_->rank() * rows, rows).clone());
  if (hasBias) bias = register_parameter("bias", full->bias.detach().narrow(0, group_->rank() * rows, rows).clone());
}

torch::Tensor ColumnParallelLinearImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = denseLinear(collective::copyToGroup(x, group_), weight, bias);
  return gatherOutput_ ? collective::gatherLastDim(y, group_) : y;
}

RowParallelLinearImpl::RowParallelLinearImpl(int64_t in, int64_t out, std::shared_ptr<ProcessGroup> group, bool hasBias,
                                             bool inputIsSplit)
    : group_(std::move(group)), inputIsSplit_(inputIsSplit) {
  const int64_t cols = part(in, group_, "input features");
  torch::nn::Linear full(torch::nn::LinearOptions(in, out).bias(hasBias));
  weight = register_parameter("weight", full->weight.detach().narrow(1, group_->rank() * cols, cols).clone());
  if (hasBias) bias = register_parameter("bias", full->bias.detach().clone());
}

torch::Tensor RowParallelLinearImpl::forward(const torch::Tensor& x) {
  const torch::Tensor xs = inputIsSplit_ ? x : collective::splitLastDim(x, group_);
  torch::Tensor y = collective::reduceFromGroup(denseLinear(xs, weight), group_);
  return bias.defined() ? y + bias : y;
}

VocabParallelEmbeddingImpl::VocabParallelEmbeddingImpl(int64_t vocab, int64_t dim, std::shared_ptr<ProcessGroup> group)
    : group_(std::move(group)) {
  rows_ = part(vocab, group_, "vocabulary size");
  first_ = group_->rank() * rows_;
  torch::nn::Embedding full(vocab, dim);
  weight = register_parameter("weight", full->weight.detach().narrow(0, first_, rows_).clone());
}

torch::Tensor VocabParallelEmbeddingImpl::forward(const torch::Tensor& ids) {
  if (group_->size() == 1) return F::embedding(ids, weight);
  const torch::Tensor outside = (ids < first_).logical_or(ids >= first_ + rows_);
  const torch::Tensor local = (ids - first_).masked_fill(outside, 0);
  const torch::Tensor e = F::embedding(local, weight).masked_fill(outside.unsqueeze(-1), 0.0);
  return collective::reduceFromGroup(e, group_);
}

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

struct VocabParallelCrossEntropy : torch::autograd::Function<VocabParallelCrossEntropy> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& logits, const torch::Tensor& targets,
                               int64_t firstClass, int64_t group) {
    const auto g = collective::groupById(group);
    const torch::Tensor x = logits.to(torch::kFloat32);
    const int64_t classes = x.size(1);
    torch::Tensor max = std::get<0>(x.max(1)).contiguous();
    g->allReduceMax(max);
    const torch::Tensor shifted = x - max.unsqueeze(1);
    const torch::Tensor exp = shifted.exp();
    torch::Tensor sum = exp.sum(1).contiguous();
    g->allReduceSum(sum);
    const torch::Tensor inside = (targets >= firstClass).logical_and(targets < firstClass + classes);
    const torch::Tensor local = (targets - firstClass).masked_fill(inside.logical_not(), 0);
    torch::Tensor target =
        shifted.gather(1, local.unsqueeze(1)).squeeze(1).masked_fill(inside.logical_not(), 0.0).contiguous();
    g->allReduceSum(target);
    ctx->save_for_backward({exp / sum.unsqueeze(1), local, inside});
    return sum.log() - target;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    torch::Tensor grad = saved[0].clone();  // softmax over the whole vocabulary, this rank's columns
    const torch::Tensor& local = saved[1];
    const torch::Tensor& inside = saved[2];
    grad.scatter_add_(1, local.unsqueeze(1), -inside.to(grad.scalar_type()).unsqueeze(1));
    grad.mul_(grads[0].unsqueeze(1));
    return {grad, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor vocabParallelCrossEntropy(const torch::Tensor& logits, const torch::Tensor& targets, int64_t firstClass,
                                        const std::shared_ptr<ProcessGroup>& group) {
  if (group->size() == 1)
    return F::cross_entropy(logits.to(torch::kFloat32), targets, F::CrossEntropyFuncOptions().reduction(torch::kNone));
  return VocabParallelCrossEntropy::apply(logits, targets, firstClass, collective::groupId(group));
}

TensorParallelLayout tensorParallelLayout(torch::nn::Module& module) {
  TensorParallelLayout layout;
  auto add = [&](const std::string& path, torch::nn::Module* m) {
    const std::string prefix = path.empty() ? "" : path + ".";
    if (dynamic_cast<ColumnParallelLinearImpl*>(m)) {
      layout[prefix + "weight"] = 0;
      if (m->named_parameters(false).contains("bias")) layout[prefix + "bias"] = 0;
    } else if (dynamic_cast<RowParallelLinearImpl*>(m)) {
      layout[prefix + "weight"] = 1;
    } else if (dynamic_cast<VocabParallelEmbeddingImpl*>(m)) {
      layout[prefix + "weight"] = 0;
    }
  };
  // Not named_modules() with the module itself: that needs a shared_ptr, which a model still
  // being constructed does not have yet.
  add("", &module);
  for (const auto& item : module.named_modules("", /*include_self=*/false)) add(item.key(), item.value().get());
  return layout;
}

int64_t splitDimension(const TensorParallelLayout& layout, const std::string& name) {
  for (std::string key = name;;) {
    if (const auto it = layout.find(key); it != layout.end()) return it->second;
    const auto dot = key.rfind('.');
    if (dot == std::string::npos) return -1;
    key.resize(dot);  // "<parameter>.exp_avg" -> "<parameter>"
  }
}

NamedTensors gatherShards(const NamedTensors& local, const TensorParallelLayout& layout,
                          const std::shared_ptr<ProcessGroup>& group) {
  torch::NoGradGuard noGrad;
  NamedTensors whole;
  for (const auto& [name, tensor] : local) {
    const int64_t dim = group->size() > 1 ? splitDimension(layout, name) : -1;
    if (dim < 0) {
      whole.emplace_back(name, tensor);
      continue;
    }
    // allGather concatenates along dimension 0: bring the split dimension there and back.
    const torch::Tensor gathered = group->allGather(tensor.transpose(0, dim).contiguous());
    whole.emplace_back(name, gathered.transpose(0, dim).contiguous());
  }
  return whole;
}

std::map<std::string, torch::Tensor> sliceShards(const std::map<std::string, torch::Tensor>& whole,
                                                 const TensorParallelLayout& layout,
                                                 const std::shared_ptr<ProcessGroup>& group) {
  std::map<std::string, torch::Tensor> local;
  for (const auto& [name, tensor] : whole) {
    const int64_t dim = group->size() > 1 ? splitDimension(layout, name) : -1;
    if (dim < 0) {
      local.emplace(name, tensor);
      continue;
    }
    const int64_t rows = part(tensor.size(dim), group, ("dimension " + std::to_string(dim) + " of " + name).c_str());
    local.emplace(name, tensor.narrow(dim, group->rank() * rows, rows).contiguous());
  }
  return local;
}

}  // namespace reef::engine

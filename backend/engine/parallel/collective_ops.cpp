#include "backend/engine/parallel/collective_ops.h"

#include "backend/engine/parallel/handle_table.h"

namespace reef::engine::collective {

namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

HandleTable<std::shared_ptr<ProcessGroup>>& groups() {
  static HandleTable<std::shared_ptr<ProcessGroup>> table;
  return table;
}

}  // namespace

int64_t groupId(const std::shared_ptr<ProcessGroup>& group) { return groups().idOf(group); }

std::shared_ptr<ProcessGroup> groupById(int64_t id) { return groups().byId(id); }

namespace {

torch::Tensor sumOver(const torch::Tensor& x, const std::shared_ptr<ProcessGroup>& group) {
  torch::Tensor y = x.contiguous().clone();
  group->allReduceSum(y);
  return y;
}

torch::Tensor sliceLast(const torch::Tensor& x, const std::shared_ptr<ProcessGroup>& group) {
  const int64_t part = x.size(-1) / group->size();
  return x.narrow(-1, group->rank() * part, part).contiguous();
}

torch::Tensor gatherLast(const torch::Tensor& x, const std::shared_ptr<ProcessGroup>& group) {
  // all-gather concatenates along dimension 0: move the last dimension there and back.
  return group->allGather(x.movedim(-1, 0).contiguous()).movedim(0, -1).contiguous();
}

struct CopyToGroup : torch::autograd::Function<CopyToGroup> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, int64_t group) {
    ctx->saved_data["group"] = group;
    return x.view_as(x);
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    return {sumOver(grads[0], groupById(ctx->saved_data["group"].toInt())), torch::Tensor()};
  }
};

struct ReduceFromGroup : torch::autograd::Function<ReduceFromGroup> {
  static torch::Tensor forward(AutogradContext*, const torch::Tensor& x, int64_t group) {
    return sumOver(x, groupById(group));
  }
  static tensor_list backward(AutogradContext*, tensor_list grads) { return {grads[0], torch::Tensor()}; }
};

struct GatherLastDim : torch::autograd::Function<GatherLastDim> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, int64_t group) {
    ctx->saved_data["group"] = group;
    return gatherLast(x, groupById(group));
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    return {sliceLast(grads[0], groupById(ctx->saved_data["group"].toInt())), torch::Tensor()};
  }
};

struct SplitLastDim : torch::autograd::Function<SplitLastDim> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, int64_t group) {
    ctx->saved_data["group"] = group;
    return sliceLast(x, groupById(group));
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    return {gatherLast(grads[0], groupById(ctx->saved_data["group"].toInt())), torch::Tensor()};
  }
};

struct AllToAll : torch::autograd::Function<AllToAll> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x, int64_t group, std::vector<int64_t> in,
                               std::vector<int64_t> out) {
    ctx->saved_data["group"] = group;
    ctx->saved_data["in"] = in;
    ctx->saved_data["out"] = out;
    return groupById(group)->allToAll(x, in, out);
  }
  static tensor_list backward(AutogradContext* ctx, tensor_list grads) {
    const auto in = ctx->saved_data["in"].toIntVector(), out = ctx->saved_data["out"].toIntVector();
    return {groupById(ctx->saved_data["group"].toInt())->allToAll(grads[0].contiguous(), out, in), torch::Tensor(),
            torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor copyToGroup(const torch::Tensor& x, const std::shared_ptr<ProcessGroup>& group) {
  return group->size() == 1 ? x : CopyToGroup::apply(x, groupId(group));
}

torch::Tensor reduceFromGroup(const torch::Tensor& x, const std::shared_ptr<ProcessGroup>& group) {
  return group->size() == 1 ? x : ReduceFromGroup::apply(x, groupId(group));
}

torch::Tensor gatherLastDim(const torch::Tensor& x, const std::shared_ptr<ProcessGroup>& group) {
  return group->size() == 1 ? x : GatherLastDim::apply(x, groupId(group));
}

torch::Tensor splitLastDim(const torch::Tensor& x, const std::shared_ptr<ProcessGroup>& group) {
  return group->size() == 1 ? x : SplitLastDim::apply(x, groupId(group));
}

torch::Tensor allToAll(const torch::Tensor& x, const std::vector<int64_t>& inSplits,
                       const std::vector<int64_t>& outSplits, const std::shared_ptr<ProcessGroup>& group) {
  return group->size() == 1 ? x : AllToAll::apply(x, groupId(group), inSplits, outSplits);
}

}  // namespace reef::engine::collective

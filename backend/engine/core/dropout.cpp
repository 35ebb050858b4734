#include "backend/engine/core/dropout.h"

#include "backend/engine/core/torch_compat.h"

#include <ATen/Parallel.h>

#include <cstdint>

namespace reef::engine {

namespace {

inline uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// A float mask holding 0 or 1 / (1 - p), in the layout of a contiguous tensor of `sizes`.
torch::Tensor keepMask(torch::IntArrayRef sizes, const torch::TensorOptions& options, double p, uint64_t seed) {
  torch::Tensor mask = torch::empty(sizes, options.dtype(torch::kFloat32));
  float* out = mask.data_ptr<float>();
  const auto threshold = static_cast<uint32_t>(p * 4294967296.0);
  const float scale = static_cast<float>(1.0 / (1.0 - p));
  at::parallel_for(0, mask.numel(), 32768, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const auto r = static_cast<uint32_t>(mix(seed + 0x9e3779b97f4a7c15ull * static_cast<uint64_t>(i + 1)) >> 32);
      out[i] = r >= threshold ? scale : 0.0f;
    }
  });
  return mask;
}

class DropoutFunction : public torch::autograd::Function<DropoutFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& input, double p) {
    const torch::Tensor x = input.contiguous();
    torch::Tensor mask = keepMask(x.sizes(), x.options(), p, compat::nextRandom64());
    if (x.scalar_type() != torch::kFloat32) mask = mask.to(x.scalar_type());
    ctx->save_for_backward({mask});
    return x * mask;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const torch::Tensor mask = ctx->get_saved_variables()[0];
    return {grads[0] * mask, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor dropout(const torch::Tensor& input, double p, bool training) {
  if (!training || p <= 0) return input;
  if (p >= 1) return torch::zeros_like(input);
  if (!input.device().is_cpu()) return torch::dropout(input, p, true);
  return DropoutFunction::apply(input, p);
}

}  // namespace reef::engine

#include "backend/collections/llm/rotary_embedding.h"

#include "backend/engine/core/cpu_kernels.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

namespace reef::llm {

namespace {

// One row of head_dim values at position p: with h = head_dim / 2, forward
// y[i] = x[i] c[i] - x[i + h] s[i] (i < h), y[i] = x[i] c[i] + x[i - h] s[i] (i >= h);
// its transpose, the backward, dx[i] = dy[i] c[i] + dy[i + h] s[i + h] (i < h),
// dx[i] = dy[i] c[i] - dy[i - h] s[i - h] (i >= h).
template <bool Backward>
void rotateRows(const torch::Tensor& in, const torch::Tensor& cos, const torch::Tensor& sin, torch::Tensor& out) {
  const int64_t d = in.size(3), heads = in.size(2), positions = in.size(1), h = d / 2;
  const int64_t rows = in.numel() / d;
  const float *px = in.data_ptr<float>(), *pc = cos.data_ptr<float>(), *ps = sin.data_ptr<float>();
  float* py = out.data_ptr<float>();
  at::parallel_for(0, rows, 64, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t p = (r / heads) % positions;
      const float *x = px + r * d, *c = pc + p * d, *s = ps + p * d;
      float* y = py + r * d;
      for (int64_t i = 0; i < h; ++i)
        y[i] = Backward ? x[i] * c[i] + x[i + h] * s[i + h] : x[i] * c[i] - x[i + h] * s[i];
      for (int64_t i = h; i < d; ++i)
        y[i] = Backward ? x[i] * c[i] - x[i - h] * s[i - h] : x[i] * c[i] + x[i - h] * s[i];
    }
  });
}

class FusedRotary : public torch::autograd::Function<FusedRotary> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& cos,
                               const torch::Tensor& sin) {
    ctx->save_for_backward({cos, sin});
    torch::Tensor y = torch::empty_like(x);
    rotateRows<false>(x, cos, sin, y);
    return y;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor dy = grads[0].contiguous();
    torch::Tensor dx = torch::empty_like(dy);
    rotateRows<true>(dy, saved[0], saved[1], dx);
    return {dx, torch::Tensor(), torch::Tensor()};
  }
};

torch::Tensor rotateHalf(const torch::Tensor& x) {
  const int64_t half = x.size(-1) / 2;
  return torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
}

}  // namespace

torch::Tensor applyRotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  if (engine::cpuFloat32KernelsApply({x, cos, sin}) && x.dim() == 4 && !cos.requires_grad() && !sin.requires_grad() &&
      x.size(-1) % 2 == 0 && cos.sizes() == sin.sizes() && cos.dim() == 2 && cos.size(0) == x.size(1) &&
      cos.size(1) == x.size(3))
    return FusedRotary::apply(x.contiguous(), cos.contiguous(), sin.contiguous());
  const torch::Tensor c = cos.unsqueeze(-2), s = sin.unsqueeze(-2);  // over the heads
  return x * c + rotateHalf(x) * s;
}

}  // namespace reef::llm

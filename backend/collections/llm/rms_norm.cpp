#include "backend/collections/llm/rms_norm.h"

#include "backend/engine/core/cpu_kernels.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include <cmath>
#include <vector>

namespace reef::llm {

namespace {

// Rows per chunk of the weight gradient's partial sums: a fixed split, so that the sum (and so
// training) does not depend on the thread count or on scheduling.
constexpr int64_t kRowsPerChunk = 64;

class FusedRmsNorm : public torch::autograd::Function<FusedRmsNorm> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w,
                               double eps) {
    const int64_t d = x.size(-1), rows = x.numel() / d;
    torch::Tensor y = torch::empty_like(x);
    torch::Tensor rstd = torch::empty({rows}, x.options());
    const float* px = x.data_ptr<float>();
    const float* pw = w.data_ptr<float>();
    float* py = y.data_ptr<float>();
    float* pr = rstd.data_ptr<float>();
    at::parallel_for(0, rows, 16, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        const float* xr = px + r * d;
        float squares = 0;
        for (int64_t i = 0; i < d; ++i) squares += xr[i] * xr[i];
        const float s = 1.0f / std::sqrt(squares / static_cast<float>(d) + static_cast<float>(eps));
        pr[r] = s;
        float* yr = py + r * d;
        for (int64_t i = 0; i < d; ++i) yr[i] = xr[i] * s * pw[i];
      }
    });
    ctx->save_for_backward({x, w, rstd});
    return y;
  }

  // With g = dy w and s = rstd: dx = s g - x s^3 mean(g x), dw = sum over rows of dy x s.
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &w = saved[1], &rstd = saved[2];
    const torch::Tensor dy = grads[0].contiguous();
    const int64_t d = x.size(-1), rows = x.numel() / d;
    const int64_t chunks = (rows + kRowsPerChunk - 1) / kRowsPerChunk;
    torch::Tensor dx = torch::empty_like(x);
    torch::Tensor partial = torch::zeros({chunks, d}, x.options());
    const float *px = x.data_ptr<float>(), *pw = w.data_ptr<float>(), *pr = rstd.data_ptr<float>(),
                *pdy = dy.data_ptr<float>();
    float* pdx = dx.data_ptr<float>();
    float* pp = partial.data_ptr<float>();
    at::parallel_for(0, chunks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) {
        float* dw = pp + c * d;
        for (int64_t r = c * kRowsPerChunk; r < std::min(rows, (c + 1) * kRowsPerChunk); ++r) {
          const float *xr = px + r * d, *dyr = pdy + r * d;
          const float s = pr[r];
          float dot = 0;
          for (int64_t i = 0; i < d; ++i) dot += dyr[i] * pw[i] * xr[i];
          const float k = dot * s * s * s / static_cast<float>(d);
          float* dxr = pdx + r * d;
          for (int64_t i = 0; i < d; ++i) {
            dxr[i] = s * dyr[i] * pw[i] - k * xr[i];
            dw[i] += dyr[i] * xr[i] * s;
          }
        }
      }
    });
    return {dx, partial.sum(0), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor rmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps) {
  if (engine::cpuFloat32KernelsApply({x, weight}) && weight.dim() == 1 && x.size(-1) == weight.size(0) && x.numel() > 0)
    return FusedRmsNorm::apply(x.contiguous(), weight.contiguous(), eps);
  const torch::Tensor x32 = x.to(torch::kFloat32);
  return (x32 * torch::rsqrt(x32.pow(2).mean(-1, true) + eps)).to(x.scalar_type()) * weight;
}

}  // namespace reef::llm

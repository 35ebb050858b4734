#include "core/dense_linear.h"

#include "core/torch_compat.h"

#include <torch/torch.h>

#ifdef REEF_HAVE_ONEDNN
#include <dnnl.h>
#endif

#include <stdexcept>
#include <string>

namespace reef::engine {

namespace {

std::string shape(const torch::Tensor& t) {
  std::string s = "[";
  for (int64_t i = 0; i < t.dim(); ++i) s += (i ? ", " : "") + std::to_string(t.size(i));
  return s + "]";
}

#ifdef REEF_HAVE_ONEDNN

// c[m, n] = op(a) op(b), all contiguous row-major fp32; a is [m, k] or, transposed, [k, m].
void sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, const torch::Tensor& a, const torch::Tensor& b,
           torch::Tensor& c) {
  const dnnl_status_t status = dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', m, n, k, 1.0f, a.data_ptr<float>(),
                                          transA ? m : k, b.data_ptr<float>(), transB ? k : n, 0.0f,
                                          c.data_ptr<float>(), n);
  if (status != dnnl_success)
    throw std::runtime_error("oneDNN sgemm failed (status " + std::to_string(static_cast<int>(status)) + ") on " +
                             shape(a) + " x " + shape(b));
}

// The weight gradient is computed only when the weight trains (a frozen LoRA base skips it).
class OneDnnLinear : public torch::autograd::Function<OneDnnLinear> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, const torch::Tensor& w) {
    ctx->save_for_backward({x, w});
    const int64_t k = w.size(1), n = w.size(0), m = x.numel() / k;
    std::vector<int64_t> outShape = x.sizes().vec();
    outShape.back() = n;
    torch::Tensor y = torch::empty(outShape, x.options());
    sgemm(false, true, m, n, k, x, w, y);
    return y;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx, torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& x = saved[0];
    const torch::Tensor& w = saved[1];
    const torch::Tensor dy = grads[0].contiguous();
    const int64_t k = w.size(1), n = w.size(0), m = x.numel() / k;
    torch::Tensor dx, dw;
    if (ctx->needs_input_grad(0)) {
      dx = torch::empty_like(x);
      sgemm(false, false, m, k, n, dy, w, dx);
    }
    if (ctx->needs_input_grad(1)) {
      dw = torch::empty_like(w);
      sgemm(true, false, n, k, m, dy, x, dw);
    }
    return {dx, dw};
  }
};

bool oneDnnApplies(const torch::Tensor& x, const torch::Tensor& w) {
  return x.device().is_cpu() && w.device().is_cpu() && x.scalar_type() == torch::kFloat32 &&
         w.scalar_type() == torch::kFloat32 && x.dim() >= 1 && w.dim() == 2 && x.size(-1) == w.size(1) &&
         x.numel() > 0 && !compat::autocastEnabled(torch::kCPU);
}

#endif

}  // namespace

bool denseLinearUsesOneDnn() {
#ifdef REEF_HAVE_ONEDNN
  return true;
#else
  return false;
#endif
}

torch::Tensor denseLinear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
#ifdef REEF_HAVE_ONEDNN
  if (oneDnnApplies(x, weight)) {
    torch::Tensor y = OneDnnLinear::apply(x.contiguous(), weight.contiguous());
    return bias.defined() ? y + bias : y;
  }
#endif
  return torch::nn::functional::linear(x, weight, bias);
}

void denseGemm(bool transposeA, bool transposeB, const torch::Tensor& a, const torch::Tensor& b, torch::Tensor& out) {
  const torch::Tensor opA = transposeA ? a.t() : a, opB = transposeB ? b.t() : b;
  if (opA.dim() != 2 || opB.dim() != 2 || opA.size(1) != opB.size(0) || out.size(0) != opA.size(0) ||
      out.size(1) != opB.size(1))
    throw std::invalid_argument("denseGemm: shapes do not multiply: " + shape(opA) + " x " + shape(opB) + " -> " +
                                shape(out));
#ifdef REEF_HAVE_ONEDNN
  if (a.scalar_type() == torch::kFloat32 && a.is_contiguous() && b.is_contiguous() && out.is_contiguous() &&
      a.device().is_cpu()) {
    sgemm(transposeA, transposeB, opA.size(0), opB.size(1), opA.size(1), a, b, out);
    return;
  }
#endif
  torch::mm_out(out, opA, opB);
}

}  // namespace reef::engine

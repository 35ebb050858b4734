#include "backend/engine/core/dense_products.h"

#include "backend/engine/core/cpu_kernels.h"
#include "backend/engine/core/tensor_io.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#ifdef REEF_HAVE_ONEDNN
#include <dnnl.h>
#endif

#include <algorithm>
#include <limits>
#include <stdexcept>
#include <string>

namespace reef::engine {

namespace {

#ifdef REEF_HAVE_ONEDNN

// c[m, n] = alpha op(a) op(b) on raw row-major fp32 storage; a is [m, k] or, transposed, [k, m].
void sgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c,
           float alpha = 1.0f) {
  const dnnl_status_t status = dnnl_sgemm(transA ? 'T' : 'N', transB ? 'T' : 'N', m, n, k, alpha, a, transA ? m : k, b,
                                          transB ? k : n, 0.0f, c, n);
  if (status != dnnl_success)
    throw std::runtime_error("oneDNN sgemm failed (status " + std::to_string(static_cast<int>(status)) + ") on a " +
                             std::to_string(m) + "x" + std::to_string(k) + " by " + std::to_string(k) + "x" +
                             std::to_string(n) + " product");
}

// The first key that query r of m may not see, of n keys whose last m positions are the queries.
int64_t firstFutureKey(int64_t r, int64_t m, int64_t n) { return std::min(n, r + n - m + 1); }

// sgemm for each of `batch` matrix pairs, the batch split across threads (each product then runs
// single-threaded inside oneDNN): attention's matrices are too small to split one. With `causal`, entries [r, j] with j
// > r + n - m (a key after its query, for m queries that are the last m of n positions) are set to -inf after the
// product.
void batchedSgemm(bool transA, bool transB, int64_t batch, int64_t m, int64_t n, int64_t k, const torch::Tensor& a,
                  const torch::Tensor& b, torch::Tensor& c, float alpha = 1.0f, bool causal = false) {
  const float* pa = a.data_ptr<float>();
  const float* pb = b.data_ptr<float>();
  float* pc = c.data_ptr<float>();
  at::parallel_for(0, batch, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      float* out = pc + i * m * n;
      sgemm(transA, transB, m, n, k, pa + i * m * k, pb + i * k * n, out, alpha);
      if (causal)
        for (int64_t r = 0; r < m; ++r)
          std::fill(out + r * n + firstFutureKey(r, m, n), out + (r + 1) * n, -std::numeric_limits<float>::infinity());
    }
  });
}

// g with the entries a causal product set to -inf zeroed: no gradient flows to constants.
torch::Tensor zeroFuture(const torch::Tensor& g, int64_t m, int64_t n) {
  torch::Tensor out = g.clone();
  float* p = out.data_ptr<float>();
  at::parallel_for(0, out.numel() / (m * n), 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i)
      for (int64_t r = 0; r < m; ++r)
        std::fill(p + i * m * n + r * n + firstFutureKey(r, m, n), p + i * m * n + (r + 1) * n, 0.0f);
  });
  return out;
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
    sgemm(false, true, m, n, k, x.data_ptr<float>(), w.data_ptr<float>(), y.data_ptr<float>());
    return y;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& x = saved[0];
    const torch::Tensor& w = saved[1];
    const torch::Tensor dy = grads[0].contiguous();
    const int64_t k = w.size(1), n = w.size(0), m = x.numel() / k;
    torch::Tensor dx, dw;
    if (ctx->needs_input_grad(0)) {
      dx = torch::empty_like(x);
      sgemm(false, false, m, k, n, dy.data_ptr<float>(), w.data_ptr<float>(), dx.data_ptr<float>());
    }
    if (ctx->needs_input_grad(1)) {
      dw = torch::empty_like(w);
      sgemm(true, false, n, k, m, dy.data_ptr<float>(), x.data_ptr<float>(), dw.data_ptr<float>());
    }
    return {dx, dw};
  }
};

// c = scale a op(b) per leading index, future entries -inf when causal. Gradients: with c = a b,
// da = dc b^T and db = a^T dc; with c = a b^T, da = dc b and db = dc^T a; each times scale, dc's
// masked entries zeroed.
class OneDnnMatmul : public torch::autograd::Function<OneDnnMatmul> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& a, const torch::Tensor& b,
                               bool transB, double scale, bool causal) {
    ctx->save_for_backward({a, b});
    ctx->saved_data["transB"] = transB;
    ctx->saved_data["scale"] = scale;
    ctx->saved_data["causal"] = causal;
    const int64_t m = a.size(-2), k = a.size(-1), n = transB ? b.size(-2) : b.size(-1);
    std::vector<int64_t> outShape = a.sizes().vec();
    outShape.back() = n;
    torch::Tensor c = torch::empty(outShape, a.options());
    batchedSgemm(false, transB, a.numel() / (m * k), m, n, k, a, b, c, static_cast<float>(scale), causal);
    return c;
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor& a = saved[0];
    const torch::Tensor& b = saved[1];
    const bool transB = ctx->saved_data["transB"].toBool();
    const auto scale = static_cast<float>(ctx->saved_data["scale"].toDouble());
    const int64_t m = a.size(-2), k = a.size(-1), n = transB ? b.size(-2) : b.size(-1);
    const torch::Tensor dc =
        ctx->saved_data["causal"].toBool() ? zeroFuture(grads[0].contiguous(), m, n) : grads[0].contiguous();
    const int64_t batch = a.numel() / (m * k);
    torch::Tensor da, db;
    if (ctx->needs_input_grad(0)) {
      da = torch::empty_like(a);
      batchedSgemm(false, !transB, batch, m, k, n, dc, b, da, scale);  // dc [m, n] by b^T or b
    }
    if (ctx->needs_input_grad(1)) {
      db = torch::empty_like(b);
      if (transB)
        batchedSgemm(true, false, batch, n, k, m, dc, a, db, scale);  // dc^T [n, m] by a [m, k]
      else
        batchedSgemm(true, false, batch, k, n, m, a, dc, db, scale);  // a^T [k, m] by dc [m, n]
    }
    return {da, db, torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

bool oneDnnApplies(const torch::Tensor& a, const torch::Tensor& b) {
  return cpuFloat32KernelsApply({a, b}) && a.numel() > 0 && b.numel() > 0;
}

#endif

}  // namespace

bool denseProductsUseOneDnn() {
#ifdef REEF_HAVE_ONEDNN
  return true;
#else
  return false;
#endif
}

torch::Tensor denseLinear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
#ifdef REEF_HAVE_ONEDNN
  if (oneDnnApplies(x, weight) && x.dim() >= 1 && weight.dim() == 2 && x.size(-1) == weight.size(1)) {
    torch::Tensor y = OneDnnLinear::apply(x.contiguous(), weight.contiguous());
    return bias.defined() ? y + bias : y;
  }
#endif
  return torch::nn::functional::linear(x, weight, bias);
}

namespace {

torch::Tensor batchedProduct(const torch::Tensor& a, const torch::Tensor& b, bool transposeB, double scale,
                             bool causal) {
  if (a.dim() < 2 || b.dim() != a.dim() || a.sizes().slice(0, a.dim() - 2) != b.sizes().slice(0, b.dim() - 2) ||
      a.size(-1) != (transposeB ? b.size(-1) : b.size(-2)))
    throw std::invalid_argument("denseMatmul: " + shapeText(a.sizes()) + " by " + shapeText(b.sizes()) +
                                (transposeB ? " transposed" : "") +
                                " do not multiply (equal leading dimensions, matching inner ones)");
  const int64_t m = a.size(-2), n = transposeB ? b.size(-2) : b.size(-1);
  if (causal && n < m)
    throw std::invalid_argument("causal attention scores need at least as many keys (" + std::to_string(n) +
                                ") as queries (" + std::to_string(m) + ")");
#ifdef REEF_HAVE_ONEDNN
  if (oneDnnApplies(a, b)) return OneDnnMatmul::apply(a.contiguous(), b.contiguous(), transposeB, scale, causal);
#endif
  torch::Tensor c = torch::matmul(a, transposeB ? b.transpose(-2, -1) : b);
  if (scale != 1.0) c = c * scale;
  if (causal) {
    const torch::Tensor future =
        torch::ones({m, n}, torch::TensorOptions().dtype(torch::kBool).device(a.device())).triu(n - m + 1);
    c = c.masked_fill(future, -std::numeric_limits<float>::infinity());
  }
  return c;
}

}  // namespace

torch::Tensor denseMatmul(const torch::Tensor& a, const torch::Tensor& b, bool transposeB) {
  return batchedProduct(a, b, transposeB, 1.0, false);
}

torch::Tensor denseAttentionScores(const torch::Tensor& q, const torch::Tensor& k, double scale, bool causal) {
  return batchedProduct(q, k, true, scale, causal);
}

void denseGemm(bool transposeA, bool transposeB, const torch::Tensor& a, const torch::Tensor& b, torch::Tensor& out) {
  const torch::Tensor opA = transposeA ? a.t() : a, opB = transposeB ? b.t() : b;
  if (opA.dim() != 2 || opB.dim() != 2 || opA.size(1) != opB.size(0) || out.size(0) != opA.size(0) ||
      out.size(1) != opB.size(1))
    throw std::invalid_argument("denseGemm: shapes do not multiply: " + shapeText(opA.sizes()) + " x " +
                                shapeText(opB.sizes()) + " -> " + shapeText(out.sizes()));
#ifdef REEF_HAVE_ONEDNN
  if (a.scalar_type() == torch::kFloat32 && b.scalar_type() == torch::kFloat32 &&
      out.scalar_type() == torch::kFloat32 && a.is_contiguous() && b.is_contiguous() && out.is_contiguous() &&
      a.device().is_cpu()) {
    sgemm(transposeA, transposeB, opA.size(0), opB.size(1), opA.size(1), a.data_ptr<float>(), b.data_ptr<float>(),
          out.data_ptr<float>());
    return;
  }
#endif
  torch::mm_out(out, opA, opB);
}

}  // namespace reef::engine

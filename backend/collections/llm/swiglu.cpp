#include "backend/collections/llm/swiglu.h"

#include "backend/engine/core/cpu_kernels.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

namespace reef::llm {

namespace {

constexpr int64_t kGrain = 1 << 14;

class FusedSwiglu : public torch::autograd::Function<FusedSwiglu> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& gate,
                               const torch::Tensor& up) {
    const torch::Tensor s = torch::sigmoid(gate);
    torch::Tensor y = torch::empty_like(gate);
    const float *pg = gate.data_ptr<float>(), *pu = up.data_ptr<float>(), *ps = s.data_ptr<float>();
    float* py = y.data_ptr<float>();
    at::parallel_for(0, gate.numel(), kGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) py[i] = pg[i] * ps[i] * pu[i];
    });
    ctx->save_for_backward({gate, up, s});
    return y;
  }

  // silu'(g) = s (1 + g (1 - s)) with s = sigmoid(g).
  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &gate = saved[0], &up = saved[1], &s = saved[2];
    const torch::Tensor dy = grads[0].contiguous();
    torch::Tensor dgate = torch::empty_like(gate), dup = torch::empty_like(up);
    const float *pg = gate.data_ptr<float>(), *pu = up.data_ptr<float>(), *ps = s.data_ptr<float>(),
                *pdy = dy.data_ptr<float>();
    float *pdg = dgate.data_ptr<float>(), *pdu = dup.data_ptr<float>();
    at::parallel_for(0, gate.numel(), kGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const float g = pg[i], sg = ps[i], d = pdy[i];
        pdg[i] = d * pu[i] * sg * (1.0f + g * (1.0f - sg));
        pdu[i] = d * g * sg;
      }
    });
    return {dgate, dup};
  }
};

}  // namespace

torch::Tensor swiglu(const torch::Tensor& gate, const torch::Tensor& up) {
  if (engine::cpuFloat32KernelsApply({gate, up}) && gate.sizes() == up.sizes())
    return FusedSwiglu::apply(gate.contiguous(), up.contiguous());
  return torch::silu(gate) * up;
}

}  // namespace reef::llm

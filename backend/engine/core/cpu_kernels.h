#pragma once
// When Reef's own fp32 CPU kernels (backend/engine/core/dense_products.cpp, the LLM's fused RMSNorm, rotary
// embedding and SwiGLU) take a call instead of LibTorch's composite: every tensor is fp32 on the
// CPU, and CPU autocast is off (under autocast an op must see the dtypes autocast casts to, which
// only the composite does).
#include "backend/engine/core/torch_compat.h"

#include <initializer_list>

namespace reef::engine {

inline bool cpuFloat32KernelsApply(std::initializer_list<torch::Tensor> tensors) {
  for (const torch::Tensor& t : tensors)
    if (!t.device().is_cpu() || t.scalar_type() != torch::kFloat32) return false;
  return !compat::autocastEnabled(torch::kCPU);
}

}  // namespace reef::engine

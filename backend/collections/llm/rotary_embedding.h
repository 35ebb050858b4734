#pragma once
// Rotary position embedding (RoPE) in the rotate-half layout Hugging Face's Llama uses:
// y = x cos + rotate_half(x) sin, for x [batch, positions, heads, head_dim] and cos, sin
// [positions, head_dim] (or [batch, positions, head_dim]: rows at their own positions). In fp32 on the CPU forward and
// backward are one pass each (the composite takes five: two products, a negation, a concatenation and a sum);
// elsewhere, the composite.
#include <torch/types.h>

namespace reef::llm {

torch::Tensor applyRotary(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace reef::llm

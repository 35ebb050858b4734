#pragma once
// The SwiGLU gate of Llama's feed-forward layer: silu(gate) * up. In fp32 on the CPU the forward
// keeps sigmoid(gate) (LibTorch's vectorised kernel) and multiplies in one pass, and the backward
// is one pass using it (the composite recomputes the exponential in silu's backward and takes
// two more products); elsewhere, the composite.
#include <torch/types.h>

namespace reef::llm {

torch::Tensor swiglu(const torch::Tensor& gate, const torch::Tensor& up);

}  // namespace reef::llm

#pragma once
// RMSNorm, y = x / sqrt(mean(x^2) + eps) * weight over the last dimension, as Llama normalises.
// In fp32 on the CPU forward and backward are one pass each over the rows (LibTorch's composite
// takes five element-wise passes forward and about ten backward); elsewhere, the composite.
#include <torch/types.h>

namespace reef::llm {

torch::Tensor rmsNorm(const torch::Tensor& x, const torch::Tensor& weight, double eps);

}  // namespace reef::llm

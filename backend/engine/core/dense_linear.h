#pragma once
// y = x W^T + b for the linear layers of the LLM collection and of the engine's tensor-parallel,
// LoRA and mixture-of-experts layers. In fp32 on the CPU the three products of a training step
// (forward, input gradient, weight gradient) run on oneDNN's JIT GEMM: on AVX-512 cores it
// multiplies 2-4x faster than the BLAS behind torch::mm (see reef-bench-llm). Anything else (other
// dtypes, autocast, other devices, a build without oneDNN) goes to torch::linear.
#include <torch/types.h>

namespace reef::engine {

torch::Tensor denseLinear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias = {});

// Whether this build multiplies fp32 CPU tensors with oneDNN.
bool denseLinearUsesOneDnn();

// out[m, n] = op(a) op(b) for row-major fp32 matrices, op transposing where asked: the GEMM that
// denseLinear uses (oneDNN, or torch::mm without it), exposed for the benchmark's rate.
void denseGemm(bool transposeA, bool transposeB, const torch::Tensor& a, const torch::Tensor& b, torch::Tensor& out);

}  // namespace reef::engine

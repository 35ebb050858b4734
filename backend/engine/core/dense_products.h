#pragma once
// The matrix products of the transformer layers (the LLM collection and the engine's
// tensor-parallel, LoRA and mixture-of-experts layers): y = x W^T + b, and the batched products
// of attention. In fp32 on the CPU they run on oneDNN's JIT GEMM, forward and backward, which on
// this machine's AVX-512 cores multiplies at about 330 GFLOP/s (reef-bench-llm prints the rate)
// where torch::bmm's small batched products reached about 75 (autograd profile of the benchmark's
// step). Anything else (cpu_kernels.h: other dtypes, autocast, other devices; or a build
// without oneDNN) goes to torch::linear / torch::matmul.
#include <torch/types.h>

namespace reef::engine {

torch::Tensor denseLinear(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias = {});

// a [..., m, k] times b [..., k, n] (or, with transposeB, b [..., n, k] transposed) for each index
// of the leading dimensions, which must be equal (no broadcasting): attention's q k^T and p v.
torch::Tensor denseMatmul(const torch::Tensor& a, const torch::Tensor& b, bool transposeB = false);

// Attention scores: scale q k^T per leading index, q [..., queries, d], k [..., keys, d]. With
// `causal`, a query sees the keys up to its own position (the queries are the last of the keys'
// positions, as with a KV cache); later ones score -inf. Scale and mask cost no extra pass.
torch::Tensor denseAttentionScores(const torch::Tensor& q, const torch::Tensor& k, double scale, bool causal);

// Whether this build multiplies fp32 CPU tensors with oneDNN.
bool denseProductsUseOneDnn();

// out[m, n] = op(a) op(b) for contiguous row-major fp32 matrices, op transposing where asked: the
// GEMM the products above use (oneDNN, or torch::mm without it), exposed for the benchmark's rate.
void denseGemm(bool transposeA, bool transposeB, const torch::Tensor& a, const torch::Tensor& b, torch::Tensor& out);

}  // namespace reef::engine

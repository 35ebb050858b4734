#include "backend/collections/common/self_attention.h"

#include <cmath>

namespace reef::collections {

torch::Tensor selfAttention(const torch::Tensor& fused, const torch::Tensor& keyPadding, int64_t heads,
                            const std::function<torch::Tensor(const torch::Tensor&)>& dropWeights) {
  const int64_t b = fused.size(0), n = fused.size(1), d = fused.size(2) / 3, hd = d / heads;
  // [B, N, 3, H, hd] -> three [B, H, N, hd]
  const torch::Tensor qkv = fused.view({b, n, 3, heads, hd}).permute({2, 0, 3, 1, 4});
  torch::Tensor scores = torch::matmul(qkv[0], qkv[1].transpose(-2, -1)) / std::sqrt(double(hd));
  if (keyPadding.defined()) scores = scores.masked_fill(keyPadding.view({b, 1, 1, n}), -1e9);
  return torch::matmul(dropWeights(torch::softmax(scores, -1)), qkv[2]).transpose(1, 2).reshape({b, n, d});
}

}  // namespace reef::collections

#include "common/encoder_block.h"

#include "core/dropout.h"

#include <cmath>

namespace reef::collections {

EncoderBlockImpl::EncoderBlockImpl(int64_t dim, int64_t heads, int64_t hidden, double dropout)
    : heads_(heads), dropout_(dropout) {
  norm1_ = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  qkv_ = register_module("qkv", torch::nn::Linear(dim, 3 * dim));
  proj_ = register_module("proj", torch::nn::Linear(dim, dim));
  norm2_ = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  fc1_ = register_module("fc1", torch::nn::Linear(dim, hidden));
  fc2_ = register_module("fc2", torch::nn::Linear(hidden, dim));
}

torch::Tensor EncoderBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& keyPadding) {
  const int64_t b = x.size(0), n = x.size(1), d = x.size(2), hd = d / heads_;
  // [B, N, 3, H, hd] -> three [B, H, N, hd]
  torch::Tensor qkv = qkv_->forward(norm1_->forward(x)).view({b, n, 3, heads_, hd}).permute({2, 0, 3, 1, 4});
  torch::Tensor q = qkv[0], k = qkv[1], v = qkv[2];
  torch::Tensor scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(hd));
  if (keyPadding.defined()) scores = scores.masked_fill(keyPadding.view({b, 1, 1, n}), -1e9);
  torch::Tensor attention = engine::dropout(torch::softmax(scores, -1), dropout_, is_training());
  torch::Tensor mixed = torch::matmul(attention, v).transpose(1, 2).reshape({b, n, d});
  torch::Tensor y = x + engine::dropout(proj_->forward(mixed), dropout_, is_training());
  torch::Tensor h = fc2_->forward(torch::gelu(fc1_->forward(norm2_->forward(y))));
  return y + engine::dropout(h, dropout_, is_training());
}

}  // namespace reef::collections

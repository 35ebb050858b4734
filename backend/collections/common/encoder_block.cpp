#include "backend/collections/common/encoder_block.h"

#include "backend/collections/common/self_attention.h"
#include "backend/engine/core/dropout.h"

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
  const torch::Tensor mixed =
      selfAttention(qkv_->forward(norm1_->forward(x)), keyPadding, heads_,
                    [&](const torch::Tensor& w) { return engine::dropout(w, dropout_, is_training()); });
  torch::Tensor y = x + engine::dropout(proj_->forward(mixed), dropout_, is_training());
  torch::Tensor h = fc2_->forward(torch::gelu(fc1_->forward(norm2_->forward(y))));
  return y + engine::dropout(h, dropout_, is_training());
}

}  // namespace reef::collections

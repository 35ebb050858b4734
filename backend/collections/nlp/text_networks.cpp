#include "nlp/text_networks.h"

#include "core/dropout.h"

#include <cmath>
#include <stdexcept>

namespace reef::nlp {

namespace {

// Mean over the real (non-padding) positions of x [B, L, D].
torch::Tensor maskedMean(const torch::Tensor& x, const torch::Tensor& real) {
  const torch::Tensor weights = real.to(x.scalar_type()).unsqueeze(-1);
  return (x * weights).sum(1) / weights.sum(1).clamp_min(1);
}

}  // namespace

BagOfWords::BagOfWords(int64_t vocab, int64_t classes, int64_t pad) : TextNetwork(pad) {
  weight_ = register_parameter("weight", torch::zeros({vocab, classes}));
  bias_ = register_parameter("bias", torch::zeros({classes}));
}

torch::Tensor BagOfWords::forward(const torch::Tensor& tokens) {
  return maskedMean(torch::embedding(weight_, tokens), tokens != pad_) + bias_;
}

TextEncoder::TextEncoder(int64_t vocab, int64_t classes, int64_t pad, int64_t maxLength, int64_t dim, int64_t depth,
                         int64_t heads, double mlpRatio, double dropout)
    : TextNetwork(pad), dropout_(dropout) {
  if (dim % heads != 0)
    throw std::runtime_error("model.dim " + std::to_string(dim) + " is not divisible by model.heads " + std::to_string(heads));
  embed_ = register_module("embed", torch::nn::Embedding(vocab, dim));
  positions_ = register_parameter("pos_embed", torch::randn({1, maxLength, dim}) * 0.02);
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  const auto hidden = static_cast<int64_t>(std::lround(mlpRatio * static_cast<double>(dim)));
  for (int64_t i = 0; i < depth; ++i) blocks_->push_back(collections::EncoderBlock(dim, heads, hidden, dropout));
  norm_ = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  head_ = register_module("head", torch::nn::Linear(dim, classes));
}

torch::Tensor TextEncoder::forward(const torch::Tensor& tokens) {
  const int64_t length = tokens.size(1);
  if (length > positions_.size(1))
    throw std::runtime_error("a text of " + std::to_string(length) + " tokens is longer than data.max_length " +
                             std::to_string(positions_.size(1)));
  const torch::Tensor padding = tokens == pad_;
  torch::Tensor x = embed_->forward(tokens) + positions_.narrow(1, 0, length);
  x = engine::dropout(x, dropout_, is_training());
  for (const auto& block : *blocks_) x = block->as<collections::EncoderBlock>()->forward(x, padding);
  return head_->forward(maskedMean(norm_->forward(x), padding.logical_not()));
}

}  // namespace reef::nlp

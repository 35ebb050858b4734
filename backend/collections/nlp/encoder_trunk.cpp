#include "backend/collections/nlp/encoder_trunk.h"

#include "backend/engine/core/dropout.h"

#include <cmath>
#include <stdexcept>

namespace reef::nlp {

EncoderTrunk::EncoderTrunk(torch::nn::Module& owner, const EncoderTrunkOptions& o) : dropout_(o.dropout) {
  if (o.dim % o.heads != 0)
    throw std::runtime_error("model.dim " + std::to_string(o.dim) + " is not divisible by model.heads " +
                             std::to_string(o.heads));
  embed_ = owner.register_module("embed", torch::nn::Embedding(o.vocab, o.dim));
  positions_ = owner.register_parameter("pos_embed", torch::randn({1, o.maxLength, o.dim}) * 0.02);
  blocks_ = owner.register_module("blocks", torch::nn::ModuleList());
  const auto hidden = static_cast<int64_t>(std::lround(o.mlpRatio * static_cast<double>(o.dim)));
  for (int64_t i = 0; i < o.depth; ++i)
    blocks_->push_back(collections::EncoderBlock(o.dim, o.heads, hidden, o.dropout));
  norm_ = owner.register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim})));
}

torch::Tensor EncoderTrunk::encode(const torch::Tensor& tokens, const torch::Tensor& padding, bool training) {
  const int64_t length = tokens.size(1);
  if (length > positions_.size(1))
    throw std::runtime_error("a text of " + std::to_string(length) + " tokens is longer than data.max_length " +
                             std::to_string(positions_.size(1)));
  torch::Tensor x = embed_->forward(tokens) + positions_.narrow(1, 0, length);
  x = engine::dropout(x, dropout_, training);
  for (const auto& block : *blocks_) x = block->as<collections::EncoderBlock>()->forward(x, padding);
  return norm_->forward(x);
}

}  // namespace reef::nlp

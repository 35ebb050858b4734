#include "backend/collections/nlp/text_networks.h"

namespace reef::nlp {

torch::Tensor maskedMean(const torch::Tensor& x, const torch::Tensor& real) {
  const torch::Tensor weights = real.to(x.scalar_type()).unsqueeze(-1);
  return (x * weights).sum(1) / weights.sum(1).clamp_min(1);
}

BagOfWords::BagOfWords(int64_t vocab, int64_t classes, int64_t pad) : TextNetwork(pad) {
  weight_ = register_parameter("weight", torch::zeros({vocab, classes}));
  bias_ = register_parameter("bias", torch::zeros({classes}));
}

torch::Tensor BagOfWords::forward(const torch::Tensor& tokens) {
  return maskedMean(torch::embedding(weight_, tokens), tokens != pad_) + bias_;
}

TextEncoder::TextEncoder(const EncoderTrunkOptions& trunk, int64_t classes, int64_t pad)
    : TextNetwork(pad), trunk_(*this, trunk) {
  head_ = register_module("head", torch::nn::Linear(trunk.dim, classes));
}

torch::Tensor TextEncoder::forward(const torch::Tensor& tokens) {
  const torch::Tensor padding = tokens == pad_;
  return head_->forward(maskedMean(trunk_.encode(tokens, padding, is_training()), padding.logical_not()));
}

}  // namespace reef::nlp

#include "backend/collections/multimodal/clip_network.h"

#include "backend/collections/nlp/text_networks.h"

#include <cmath>

namespace reef::multimodal {

namespace nn = torch::nn;

namespace {

// 3x3 convolution, batch norm, ReLU.
void addConv(nn::Sequential& s, int64_t in, int64_t out) {
  s->push_back(nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
  s->push_back(nn::BatchNorm2d(out));
  s->push_back(nn::ReLU(nn::ReLUOptions(true)));
}

}  // namespace

ImageEncoderImpl::ImageEncoderImpl(int64_t width) : width_(width) {
  nn::Sequential s;
  addConv(s, 3, width);
  addConv(s, width, width);
  s->push_back(nn::MaxPool2d(2));
  addConv(s, width, 2 * width);
  s->push_back(nn::MaxPool2d(2));
  addConv(s, 2 * width, 4 * width);
  s->push_back(nn::MaxPool2d(2));
  layers_ = register_module("layers", s);
}

torch::Tensor ImageEncoderImpl::forward(const torch::Tensor& images) {
  const torch::Tensor map = layers_->forward((images - 0.5) / 0.25);  // [B, C, S/8, S/8]
  return map.flatten(2).transpose(1, 2);
}

TextTowerImpl::TextTowerImpl(const nlp::EncoderTrunkOptions& options, int64_t pad)
    : trunk_(*this, options), pad_(pad) {}

torch::Tensor TextTowerImpl::forward(const torch::Tensor& tokens) {
  const torch::Tensor padding = tokens.eq(pad_);
  return nlp::maskedMean(trunk_.encode(tokens, padding, is_training()), padding.logical_not());
}

ClipNetworkImpl::ClipNetworkImpl(const ClipOptions& o) {
  image_encoder = register_module("image_encoder", ImageEncoder(o.imageWidth));
  image_projection = register_module("image_projection", nn::Linear(image_encoder->dim(), o.embedDim));
  text_encoder = register_module("text_encoder", TextTower(o.text, o.pad));
  text_projection = register_module("text_projection", nn::Linear(o.text.dim, o.embedDim));
  // CLIP's initial temperature 0.07.
  logit_scale = register_parameter("logit_scale", torch::full({}, std::log(1 / 0.07)));
}

torch::Tensor ClipNetworkImpl::imageEmbeddings(const torch::Tensor& images) {
  return nn::functional::normalize(image_projection->forward(image_encoder->forward(images).mean(1)),
                                   nn::functional::NormalizeFuncOptions().dim(1));
}

torch::Tensor ClipNetworkImpl::textEmbeddings(const torch::Tensor& tokens) {
  return nn::functional::normalize(text_projection->forward(text_encoder->forward(tokens)),
                                   nn::functional::NormalizeFuncOptions().dim(1));
}

torch::Tensor ClipNetworkImpl::scale() const { return logit_scale.clamp_max(std::log(100.0)).exp(); }

torch::Tensor clipLoss(const torch::Tensor& images, const torch::Tensor& texts, const torch::Tensor& textIds,
                       const torch::Tensor& scale) {
  const torch::Tensor logits = scale * images.matmul(texts.t());  // [B, B]: image i against text j
  const torch::Tensor same = textIds.unsqueeze(1).eq(textIds.unsqueeze(0)).to(logits.scalar_type());
  const torch::Tensor targets = same / same.sum(1, true);  // symmetric, so it serves both directions
  const torch::Tensor imageToText = -(targets * torch::log_softmax(logits, 1)).sum(1).mean();
  const torch::Tensor textToImage = -(targets * torch::log_softmax(logits.t(), 1)).sum(1).mean();
  return (imageToText + textToImage) / 2;
}

}  // namespace reef::multimodal

#include "backend/collections/vision/vit.h"

#include "backend/collections/common/encoder_block.h"
#include "backend/engine/core/dropout.h"

#include <cmath>
#include <stdexcept>

namespace reef::vision {

VisionTransformer::VisionTransformer(ImageShape shape, int64_t classes, int64_t patchSize, int64_t dim, int64_t depth,
                                     int64_t heads, double mlpRatio, double dropout)
    : dropout_(dropout) {
  if (shape.height % patchSize != 0 || shape.width % patchSize != 0)
    throw std::runtime_error("model.patch_size " + std::to_string(patchSize) + " does not divide the " +
                             std::to_string(shape.height) + "x" + std::to_string(shape.width) +
                             " images: choose a divisor of both sides");
  if (dim % heads != 0)
    throw std::runtime_error("model.dim " + std::to_string(dim) + " is not divisible by model.heads " +
                             std::to_string(heads));
  const int64_t patches = (shape.height / patchSize) * (shape.width / patchSize);
  patchEmbed_ = register_module(
      "patch_embed", torch::nn::Conv2d(torch::nn::Conv2dOptions(shape.channels, dim, patchSize).stride(patchSize)));
  classToken_ = register_parameter("cls_token", torch::zeros({1, 1, dim}));
  positions_ = register_parameter("pos_embed", torch::randn({1, patches + 1, dim}) * 0.02);
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  const auto hidden = static_cast<int64_t>(std::lround(mlpRatio * static_cast<double>(dim)));
  for (int64_t i = 0; i < depth; ++i) blocks_->push_back(collections::EncoderBlock(dim, heads, hidden, dropout));
  norm_ = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  head_ = register_module("head", torch::nn::Linear(dim, classes));
}

torch::Tensor VisionTransformer::forward(const torch::Tensor& images) {
  torch::Tensor x = patchEmbed_->forward(images).flatten(2).transpose(1, 2);  // [B, N, D]
  x = torch::cat({classToken_.expand({x.size(0), 1, x.size(2)}), x}, 1) + positions_;
  x = engine::dropout(x, dropout_, is_training());
  for (const auto& block : *blocks_) x = block->as<collections::EncoderBlock>()->forward(x);
  x = norm_->forward(x);
  return head_->forward(x.select(1, 0));
}

}  // namespace reef::vision

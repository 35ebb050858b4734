#include "vision/vit.h"

#include <cmath>
#include "core/dropout.h"

#include <stdexcept>

namespace reef::vision {

namespace {

class EncoderBlockImpl : public torch::nn::Module {
 public:
  EncoderBlockImpl(int64_t dim, int64_t heads, int64_t hidden, double dropout) : heads_(heads), dropout_(dropout) {
    norm1_ = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
    qkv_ = register_module("qkv", torch::nn::Linear(dim, 3 * dim));
    proj_ = register_module("proj", torch::nn::Linear(dim, dim));
    norm2_ = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
    fc1_ = register_module("fc1", torch::nn::Linear(dim, hidden));
    fc2_ = register_module("fc2", torch::nn::Linear(hidden, dim));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    const int64_t b = x.size(0), n = x.size(1), d = x.size(2), hd = d / heads_;
    // [B, N, 3, H, hd] -> three [B, H, N, hd]
    torch::Tensor qkv = qkv_->forward(norm1_->forward(x)).view({b, n, 3, heads_, hd}).permute({2, 0, 3, 1, 4});
    torch::Tensor q = qkv[0], k = qkv[1], v = qkv[2];
    torch::Tensor attention = torch::softmax(torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(hd)), -1);
    attention = engine::dropout(attention, dropout_, is_training());
    torch::Tensor mixed = torch::matmul(attention, v).transpose(1, 2).reshape({b, n, d});
    torch::Tensor y = x + engine::dropout(proj_->forward(mixed), dropout_, is_training());
    torch::Tensor h = fc2_->forward(torch::gelu(fc1_->forward(norm2_->forward(y))));
    return y + engine::dropout(h, dropout_, is_training());
  }

 private:
  int64_t heads_;
  double dropout_;
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
  torch::nn::Linear qkv_{nullptr}, proj_{nullptr}, fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(EncoderBlock);

}  // namespace

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
  blocks_ = register_module("blocks", torch::nn::Sequential());
  const auto hidden = static_cast<int64_t>(std::lround(mlpRatio * static_cast<double>(dim)));
  for (int64_t i = 0; i < depth; ++i) blocks_->push_back(EncoderBlock(dim, heads, hidden, dropout));
  norm_ = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  head_ = register_module("head", torch::nn::Linear(dim, classes));
}

torch::Tensor VisionTransformer::forward(const torch::Tensor& images) {
  torch::Tensor x = patchEmbed_->forward(images).flatten(2).transpose(1, 2);  // [B, N, D]
  x = torch::cat({classToken_.expand({x.size(0), 1, x.size(2)}), x}, 1) + positions_;
  x = engine::dropout(x, dropout_, is_training());
  x = norm_->forward(blocks_->forward(x));
  return head_->forward(x.select(1, 0));
}

}  // namespace reef::vision

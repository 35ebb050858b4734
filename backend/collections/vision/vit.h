#pragma once
#include "backend/collections/vision/image_network.h"

namespace reef::vision {

// A small Vision Transformer: non-overlapping patches embedded linearly, a class token, learned
// position embeddings, pre-norm transformer blocks (multi-head self-attention, GELU MLP), and a
// linear head on the final class token.
class VisionTransformer : public ImageNetwork {
 public:
  VisionTransformer(ImageShape shape, int64_t classes, int64_t patchSize, int64_t dim, int64_t depth, int64_t heads,
                    double mlpRatio, double dropout);
  torch::Tensor forward(const torch::Tensor& images) override;

 private:
  torch::nn::Conv2d patchEmbed_{nullptr};
  torch::Tensor classToken_, positions_;
  torch::nn::ModuleList blocks_{nullptr};
  torch::nn::LayerNorm norm_{nullptr};
  torch::nn::Linear head_{nullptr};
  double dropout_;
};

}  // namespace reef::vision

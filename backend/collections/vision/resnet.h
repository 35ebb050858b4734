#pragma once
#include "backend/collections/vision/image_network.h"

namespace reef::vision {

// A CIFAR-style ResNet: a 3x3 stem, three stages of basic residual blocks (width, 2 x width and
// 4 x width channels; the last two halve the resolution), global average pooling, a linear head.
class ResNet : public ImageNetwork {
 public:
  ResNet(ImageShape shape, int64_t classes, int64_t width, int64_t blocksPerStage);
  torch::Tensor forward(const torch::Tensor& images) override;
  bool channelsLast() const override { return true; }

 private:
  torch::nn::Sequential stem_{nullptr};
  torch::nn::Sequential stages_{nullptr};
  torch::nn::Linear head_{nullptr};
};

}  // namespace reef::vision

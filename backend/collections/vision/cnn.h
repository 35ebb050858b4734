#pragma once
#include "backend/collections/vision/image_network.h"

namespace reef::vision {

// Two 3x3 convolutions (width, 2 x width channels), each followed by 2x2 max-pooling, then two
// fully connected layers. Pooling comes before the ReLU: max and ReLU commute, so the function is
// the usual conv-ReLU-pool, at a quarter of the ReLU work.
class SmallCnn : public ImageNetwork {
 public:
  SmallCnn(ImageShape shape, int64_t classes, int64_t width, int64_t hidden, double dropout, bool batchNorm);
  torch::Tensor forward(const torch::Tensor& images) override;
  bool channelsLast() const override { return true; }

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr};
  double dropout_;
};

}  // namespace reef::vision

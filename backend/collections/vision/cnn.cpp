#include "backend/collections/vision/cnn.h"

#include "backend/engine/core/dropout.h"

#include <stdexcept>

namespace reef::vision {

SmallCnn::SmallCnn(ImageShape shape, int64_t classes, int64_t width, int64_t hidden, double dropout, bool batchNorm)
    : dropout_(dropout) {
  if (shape.height < 4 || shape.width < 4)
    throw std::runtime_error("the cnn model needs images of at least 4x4 pixels");
  conv1_ = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(shape.channels, width, 3).padding(1)));
  conv2_ = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(width, 2 * width, 3).padding(1)));
  if (batchNorm) {
    bn1_ = register_module("bn1", torch::nn::BatchNorm2d(width));
    bn2_ = register_module("bn2", torch::nn::BatchNorm2d(2 * width));
  }
  const int64_t flat = 2 * width * (shape.height / 4) * (shape.width / 4);
  fc1_ = register_module("fc1", torch::nn::Linear(flat, hidden));
  fc2_ = register_module("fc2", torch::nn::Linear(hidden, classes));
}

torch::Tensor SmallCnn::forward(const torch::Tensor& images) {
  torch::Tensor x = conv1_->forward(images);
  if (bn1_) x = bn1_->forward(x);
  x = torch::relu(torch::max_pool2d(x, 2));
  x = conv2_->forward(x);
  if (bn2_) x = bn2_->forward(x);
  x = torch::relu(torch::max_pool2d(x, 2));
  x = engine::dropout(x.flatten(1), dropout_, is_training());
  x = torch::relu(fc1_->forward(x));
  x = engine::dropout(x, dropout_, is_training());
  return fc2_->forward(x);
}

}  // namespace reef::vision

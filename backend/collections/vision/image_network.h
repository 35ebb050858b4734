#pragma once
// What the image classifier needs of a network: images [B, C, H, W] in, logits [B, classes] out.
#include "backend/collections/vision/image_dataset.h"

#include <torch/torch.h>

namespace reef::vision {

class ImageNetwork : public torch::nn::Module {
 public:
  // The normalisation of the training images lives in the weights (buffers input_mean and
  // input_std), so that a checkpoint or an exported graph takes plain pixels in [0, 1].
  ImageNetwork() {
    inputMean_ = register_buffer("input_mean", torch::zeros({1}));
    inputStd_ = register_buffer("input_std", torch::ones({1}));
  }
  void setNormalisation(double mean, double stddev) {
    torch::NoGradGuard noGrad;
    inputMean_.fill_(mean);
    inputStd_.fill_(stddev);
  }
  double inputMean() const { return inputMean_.item<double>(); }
  double inputStd() const { return inputStd_.item<double>(); }
  torch::Tensor normalise(const torch::Tensor& pixels) const { return (pixels - inputMean_) / inputStd_; }

  // Normalised images in, logits out.
  virtual torch::Tensor forward(const torch::Tensor& images) = 0;
  // Convolutional networks run faster channels-last on CPU (oneDNN convolutions without layout
  // reorders, vectorised pooling); the classifier then feeds them channels-last images.
  virtual bool channelsLast() const { return false; }

 private:
  torch::Tensor inputMean_, inputStd_;
};

}  // namespace reef::vision

#pragma once
// What the image classifier needs of a network: images [B, C, H, W] in, logits [B, classes] out.
#include "vision/image_dataset.h"

#include <torch/torch.h>

namespace reef::vision {

class ImageNetwork : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& images) = 0;
  // Convolutional networks run faster channels-last on CPU (oneDNN convolutions without layout
  // reorders, vectorised pooling); the classifier then feeds them channels-last images.
  virtual bool channelsLast() const { return false; }
};

}  // namespace reef::vision

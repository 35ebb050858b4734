#include "backend/collections/vision/resnet.h"

namespace reef::vision {

namespace {

torch::nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
}

class BasicBlockImpl : public torch::nn::Module {
 public:
  BasicBlockImpl(int64_t in, int64_t out, int64_t stride) {
    conv1_ = register_module("conv1", conv3x3(in, out, stride));
    bn1_ = register_module("bn1", torch::nn::BatchNorm2d(out));
    conv2_ = register_module("conv2", conv3x3(out, out, 1));
    bn2_ = register_module("bn2", torch::nn::BatchNorm2d(out));
    if (stride != 1 || in != out) {
      shortcut_ = register_module(
          "shortcut",
          torch::nn::Sequential(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).stride(stride).bias(false)),
                                torch::nn::BatchNorm2d(out)));
    }
  }

  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor y = torch::relu(bn1_->forward(conv1_->forward(x)));
    y = bn2_->forward(conv2_->forward(y));
    return torch::relu(y + (shortcut_ ? shortcut_->forward(x) : x));
  }

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  torch::nn::Sequential shortcut_{nullptr};
};
TORCH_MODULE(BasicBlock);

}  // namespace

ResNet::ResNet(ImageShape shape, int64_t classes, int64_t width, int64_t blocksPerStage) {
  stem_ = register_module("stem", torch::nn::Sequential(conv3x3(shape.channels, width, 1),
                                                        torch::nn::BatchNorm2d(width), torch::nn::ReLU()));
  stages_ = register_module("stages", torch::nn::Sequential());
  int64_t channels = width;
  for (int stage = 0; stage < 3; ++stage) {
    const int64_t out = width << stage;
    for (int64_t b = 0; b < blocksPerStage; ++b) {
      stages_->push_back(BasicBlock(channels, out, (stage > 0 && b == 0) ? 2 : 1));
      channels = out;
    }
  }
  head_ = register_module("head", torch::nn::Linear(channels, classes));
}

torch::Tensor ResNet::forward(const torch::Tensor& images) {
  torch::Tensor x = stages_->forward(stem_->forward(images));
  return head_->forward(x.mean({2, 3}));
}

}  // namespace reef::vision

#pragma once
// Conformer-CTC (Gulati et al. 2020): convolutional subsampling, then blocks of half-step
// feed-forward, multi-head self-attention, a convolution module (pointwise + GLU, depthwise over
// time, batch norm, SiLU, pointwise) and a second half-step feed-forward, each pre-normed and
// residual; a linear layer to the labels. Positions: sinusoidal, added after subsampling.
#include "backend/collections/asr/acoustic_network.h"

namespace reef::asr {

struct ConformerOptions {
  int64_t mels = 80, labels = 29;
  int64_t dim = 144, layers = 4, heads = 4;
  int64_t ffMultiplier = 4, convKernel = 15;
  int64_t subsampling = 2;  // 2 or 4
  double dropout = 0.1;
};

class ConformerBlockImpl : public torch::nn::Module {
 public:
  ConformerBlockImpl(const ConformerOptions& options);
  // x [B, T, D], valid [B, T] bool.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& valid);

 private:
  torch::Tensor feedForward(torch::nn::Sequential& ff, const torch::Tensor& x);
  torch::Tensor attention(const torch::Tensor& x, const torch::Tensor& valid);
  torch::Tensor convolution(const torch::Tensor& x, const torch::Tensor& valid);
  int64_t heads_;
  double dropout_;
  torch::nn::Sequential ff1_{nullptr}, ff2_{nullptr};
  torch::nn::LayerNorm attnNorm_{nullptr}, convNorm_{nullptr}, outNorm_{nullptr};
  torch::nn::Linear qkv_{nullptr}, proj_{nullptr};
  torch::nn::Conv1d pointwise1_{nullptr}, depthwise_{nullptr}, pointwise2_{nullptr};
  torch::nn::BatchNorm1d convBatchNorm_{nullptr};
};
TORCH_MODULE(ConformerBlock);

class ConformerImpl : public AcousticNetworkImpl {
 public:
  explicit ConformerImpl(const ConformerOptions& options);
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& features, const torch::Tensor& frames) override;
  int64_t subsampling() const override { return options_.subsampling; }
  double macsPerOutputFrame() const override;

 private:
  ConformerOptions options_;
  torch::nn::Conv2d sub1_{nullptr}, sub2_{nullptr};
  torch::nn::Linear subProj_{nullptr}, classifier_{nullptr};
  torch::nn::ModuleList blocks_{nullptr};
};
TORCH_MODULE(Conformer);

}  // namespace reef::asr

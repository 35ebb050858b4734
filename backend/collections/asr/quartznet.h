#pragma once
// QuartzNet (Kriman et al. 2019), the 1-D convolutional CTC model of NeMo: a strided separable
// prologue, blocks of repeated time-channel separable convolutions (depthwise over time,
// pointwise over channels, batch norm, ReLU) with a residual pointwise path per block, and a
// pointwise epilogue to the labels. Kernels widen block by block.
#include "backend/collections/asr/acoustic_network.h"

namespace reef::asr {

struct QuartzNetOptions {
  int64_t mels = 80, labels = 29;
  int64_t channels = 256, blocks = 5, repeat = 2;
  int64_t kernel = 11, kernelGrowth = 4;  // block b: kernel + b * kernelGrowth (made odd)
  int64_t epilogue = 512;
  double dropout = 0.1;
};

class QuartzNetImpl : public AcousticNetworkImpl {
 public:
  explicit QuartzNetImpl(const QuartzNetOptions& options);
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& features, const torch::Tensor& frames) override;
  int64_t subsampling() const override { return 2; }
  double macsPerOutputFrame() const override { return macs_; }

 private:
  struct SubBlock {
    torch::nn::Conv1d depthwise{nullptr}, pointwise{nullptr};
    torch::nn::BatchNorm1d norm{nullptr};
  };
  SubBlock separable(const std::string& name, int64_t in, int64_t out, int64_t kernel, int64_t stride);
  torch::Tensor apply(SubBlock& s, const torch::Tensor& x) const;

  QuartzNetOptions options_;
  SubBlock prologue_;
  std::vector<std::vector<SubBlock>> blocks_;
  std::vector<torch::nn::Conv1d> residual_;
  std::vector<torch::nn::BatchNorm1d> residualNorm_;
  torch::nn::Conv1d epilogue_{nullptr}, classifier_{nullptr};
  torch::nn::BatchNorm1d epilogueNorm_{nullptr};
  double macs_ = 0;
};
TORCH_MODULE(QuartzNet);

}  // namespace reef::asr

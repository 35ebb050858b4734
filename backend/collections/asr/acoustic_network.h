#pragma once
// What the ASR models share: a network from normalised log-mel features to per-frame label
// logits, with its own time subsampling.
#include <torch/torch.h>

#include <utility>

namespace reef::asr {

class AcousticNetworkImpl : public torch::nn::Module {
 public:
  // features [B, n_mels, F], frames [B] -> logits [B, F', V] and valid output frames [B].
  virtual std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& features,
                                                          const torch::Tensor& frames) = 0;
  virtual int64_t subsampling() const = 0;
  // Multiply-accumulates of one output frame's forward pass, for FLOPs reporting.
  virtual double macsPerOutputFrame() const = 0;
};

// [B, T] true where t < lengths[b].
torch::Tensor validFrames(const torch::Tensor& lengths, int64_t frames);

}  // namespace reef::asr

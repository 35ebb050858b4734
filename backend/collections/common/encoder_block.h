#pragma once
// The pre-norm transformer encoder block the ViT and the text encoder share: multi-head
// self-attention and a GELU MLP, each behind a LayerNorm and added back to the residual stream.
// Submodule names (norm1, qkv, proj, norm2, fc1, fc2) are part of checkpoints and of the ONNX
// exporter's reading of them.
#include <torch/torch.h>

namespace reef::collections {

class EncoderBlockImpl : public torch::nn::Module {
 public:
  EncoderBlockImpl(int64_t dim, int64_t heads, int64_t hidden, double dropout);
  // x [B, N, D]; keyPadding [B, N] bool, true where a position is padding (never attended to), or
  // undefined when every position is real.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& keyPadding = {});

 private:
  int64_t heads_;
  double dropout_;
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
  torch::nn::Linear qkv_{nullptr}, proj_{nullptr}, fc1_{nullptr}, fc2_{nullptr};
};
TORCH_MODULE(EncoderBlock);

}  // namespace reef::collections

#pragma once
// The transformer trunk of the NLP networks: token and learned position embeddings, pre-norm
// encoder blocks that never attend to padding, a final LayerNorm. Registered into the network
// that owns it (embed, pos_embed, blocks.N, norm at the top level of its checkpoint, names the
// ONNX exporter reads), so that the sentence classifier and the token tagger share one trunk.
#include "backend/collections/common/encoder_block.h"

#include <torch/torch.h>

namespace reef::nlp {

struct EncoderTrunkOptions {
  int64_t vocab = 0, maxLength = 128, dim = 128, depth = 2, heads = 4;
  double mlpRatio = 2.0, dropout = 0.1;
};

class EncoderTrunk {
 public:
  EncoderTrunk() = default;
  EncoderTrunk(torch::nn::Module& owner, const EncoderTrunkOptions& options);
  // tokens [B, L], padding [B, L] (true at padding) -> features [B, L, D].
  torch::Tensor encode(const torch::Tensor& tokens, const torch::Tensor& padding, bool training);
  // The token embeddings [vocab, D], which a masked-language-model head reuses as its output layer.
  const torch::Tensor& embedding() const { return embed_->weight; }

 private:
  torch::nn::Embedding embed_{nullptr};
  torch::Tensor positions_;
  torch::nn::ModuleList blocks_{nullptr};
  torch::nn::LayerNorm norm_{nullptr};
  double dropout_ = 0;
};

}  // namespace reef::nlp

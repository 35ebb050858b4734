#pragma once
// The text classifiers' networks: token ids [B, L] (padding = `pad`) in, logits [B, classes] out.
#include "backend/collections/nlp/encoder_trunk.h"

#include <torch/torch.h>

namespace reef::nlp {

class TextNetwork : public torch::nn::Module {
 public:
  explicit TextNetwork(int64_t pad) : pad_(pad) {}
  virtual torch::Tensor forward(const torch::Tensor& tokens) = 0;
  int64_t pad() const { return pad_; }

 protected:
  int64_t pad_;
};

// The baseline: multinomial logistic regression on the bag of words (each token's share of the
// text): logits = W tf + b, written as the mean of the tokens' weight rows.
class BagOfWords : public TextNetwork {
 public:
  BagOfWords(int64_t vocab, int64_t classes, int64_t pad);
  torch::Tensor forward(const torch::Tensor& tokens) override;

 private:
  torch::Tensor weight_, bias_;
};

// A BERT-style encoder trained from scratch: token and learned position embeddings, pre-norm
// transformer blocks that never attend to padding, a final LayerNorm, the mean over the real
// tokens, a linear head.
class TextEncoder : public TextNetwork {
 public:
  TextEncoder(const EncoderTrunkOptions& trunk, int64_t classes, int64_t pad);
  torch::Tensor forward(const torch::Tensor& tokens) override;

 private:
  EncoderTrunk trunk_;
  torch::nn::Linear head_{nullptr};
};

// Mean over the real (non-padding) positions of x [B, L, D].
torch::Tensor maskedMean(const torch::Tensor& x, const torch::Tensor& real);

}  // namespace reef::nlp

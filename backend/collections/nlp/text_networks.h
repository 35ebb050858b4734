#pragma once
// The text classifiers' networks: token ids [B, L] (padding = `pad`) in, logits [B, classes] out.
#include "common/encoder_block.h"

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
  TextEncoder(int64_t vocab, int64_t classes, int64_t pad, int64_t maxLength, int64_t dim, int64_t depth, int64_t heads,
              double mlpRatio, double dropout);
  torch::Tensor forward(const torch::Tensor& tokens) override;

 private:
  torch::nn::Embedding embed_{nullptr};
  torch::Tensor positions_;
  torch::nn::ModuleList blocks_{nullptr};
  torch::nn::LayerNorm norm_{nullptr};
  torch::nn::Linear head_{nullptr};
  double dropout_;
};

}  // namespace reef::nlp

#pragma once
// Punctuation and capitalisation restoration (NeMo's PunctuationCapitalizationModel): the
// transformer trunk over the pieces of lower-cased, unpunctuated words, with two token heads --
// the mark after each word (on its last piece) and whether it starts with a capital (on its
// first). Evaluated per mark (precision, recall, F1) and on capitals, beside a rule baseline
// measured on the same split: a capital on the first word, a period after the last.
#include "backend/collections/nlp/encoder_trunk.h"
#include "backend/collections/nlp/punctuation_data.h"
#include "backend/collections/text/tokenizer.h"
#include "backend/engine/core/inference.h"
#include "backend/engine/core/model.h"

#include <optional>

namespace reef::nlp {

class PunctuationNet : public torch::nn::Module {
 public:
  // contextKernel > 0: a convolution over that many neighbouring pieces between the trunk and the
  // heads, so that a word's mark sees the words right after it at their exact offsets.
  PunctuationNet(const EncoderTrunkOptions& trunk, int64_t pad, int64_t contextKernel);
  // tokens [B, L] -> (mark logits [B, L, marks], capital logits [B, L, 2])
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& tokens);
  int64_t pad() const { return pad_; }

 private:
  EncoderTrunk trunk_;
  torch::nn::Linear context_{nullptr};  // over a window of contextKernel_ pieces
  int64_t contextKernel_ = 0;
  torch::nn::Linear punctuationHead_{nullptr}, capitalHead_{nullptr};
  int64_t pad_;
};

class PunctuationModel : public engine::Model, public engine::TextRestoration {
 public:
  explicit PunctuationModel(const engine::ModelContext& context);

  torch::nn::Module& module() override { return *net_; }
  std::shared_ptr<engine::Dataset> dataset(engine::Split split) override;
  torch::Tensor trainingStep(const engine::Batch& batch) override;
  std::unique_ptr<engine::Evaluation> evaluation(engine::Split split) override;
  std::optional<std::vector<std::filesystem::path>> inferenceAssets() const override;
  std::vector<std::string> taskHeads() const override { return {"punct_head.", "capital_head.", "context."}; }

  // `text` with its punctuation and capitals restored (whatever it had is dropped first).
  std::string restore(const std::string& text) override;

 private:
  PunctuationData& data();
  engine::ModelContext context_;
  std::filesystem::path file_, tokenizerPath_;
  std::string textField_;
  int64_t maxLength_;
  text::Tokenizer tokenizer_;
  std::optional<PunctuationData> data_;
  std::shared_ptr<PunctuationNet> net_;
  torch::Tensor markWeights_;  // of the training loss, from the training split's mark counts
};

}  // namespace reef::nlp

#pragma once
// Masked-language-model pretraining of the NLP transformer trunk (BERT's objective with whole-word
// masking): a share of the words is chosen, and every piece of a chosen word is replaced by the
// mask (80 %), by a random piece (10 %) or kept (10 %); the network predicts the original pieces
// there. The mask is the tokenizer's unknown piece, which byte fallback means no text encodes to.
// The run's trunk (embed, pos_embed, blocks, norm) is what `trainer.init_from` gives the encoder
// classifier and the punctuation model; the prediction head (mlm_*) stays behind.
#include "backend/collections/nlp/encoder_trunk.h"
#include "backend/collections/nlp/masked_lm_data.h"
#include "backend/collections/text/tokenizer.h"
#include "backend/engine/core/model.h"

#include <optional>

namespace reef::nlp {

class MaskedLmNet : public torch::nn::Module {
 public:
  MaskedLmNet(const EncoderTrunkOptions& trunk, int64_t pad);
  // Logits over the vocabulary [N, vocab] at the N positions where `at` [B, L] is true.
  torch::Tensor forward(const torch::Tensor& tokens, const torch::Tensor& at);

 private:
  EncoderTrunk trunk_;
  torch::nn::Linear transform_{nullptr};
  torch::nn::LayerNorm norm_{nullptr};
  torch::Tensor bias_;  // the output layer's weights are the token embeddings (tied)
  int64_t pad_;
};

struct MaskedTokens {
  torch::Tensor inputs;   // [B, L] with the chosen pieces replaced
  torch::Tensor targets;  // [B, L]: the original piece where chosen, -100 elsewhere
};

// Whole-word masking of a batch (tokens, word_start). `generator`: a fixed draw (evaluation), or
// torch's default generator when absent (training, so that a resumed run draws the same masks).
MaskedTokens maskWholeWords(const torch::Tensor& tokens, const torch::Tensor& wordStart, int64_t pad, int64_t mask,
                            int64_t vocab, double probability, c10::optional<at::Generator> generator = c10::nullopt);

class MaskedLanguageModel : public engine::Model {
 public:
  explicit MaskedLanguageModel(const engine::ModelContext& context);

  torch::nn::Module& module() override { return *net_; }
  std::shared_ptr<engine::Dataset> dataset(engine::Split split) override;
  torch::Tensor trainingStep(const engine::Batch& batch) override;
  std::unique_ptr<engine::Evaluation> evaluation(engine::Split split) override;
  std::vector<std::string> taskHeads() const override { return {"mlm_"}; }
  std::optional<std::vector<std::filesystem::path>> inferenceAssets() const override { return {{tokenizerAsset_}}; }

  // Masks `batch` as training does (or with `generator`), then the mean loss at the masked pieces
  // and how many of them were predicted right: (loss, correct, masked).
  std::tuple<torch::Tensor, int64_t, int64_t> maskedLoss(const engine::Batch& batch,
                                                         c10::optional<at::Generator> generator);

 private:
  MaskedLmData& data();
  MaskedLmCorpus corpus_;
  text::Tokenizer tokenizer_;
  std::filesystem::path tokenizerAsset_;  // under the data root
  double probability_;
  std::optional<MaskedLmData> data_;
  std::shared_ptr<MaskedLmNet> net_;
};

}  // namespace reef::nlp

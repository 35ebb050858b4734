#pragma once
// The NLP collection's text classifier: a TextNetwork trained with cross-entropy on labelled
// texts, evaluated in accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix.
// Built from the spec and the tokenizer alone when data.classes lists the classes (then a bundle
// carries it: the tokenizer is its one asset); otherwise the classes come from the data.
#include "backend/collections/nlp/nlp_files.h"
#include "backend/collections/nlp/text_classification_data.h"
#include "backend/collections/nlp/text_networks.h"
#include "backend/collections/text/tokenizer.h"
#include "backend/engine/core/inference.h"
#include "backend/engine/core/model.h"

#include <memory>
#include <optional>

namespace reef::nlp {

class TextClassifier : public engine::Model, public engine::TextClassification {
 public:
  using NetworkBuilder =
      std::function<std::shared_ptr<TextNetwork>(int64_t vocab, int64_t classes, int64_t pad, int64_t maxLength)>;
  TextClassifier(const engine::ModelContext& context, const NetworkBuilder& build);

  torch::nn::Module& module() override { return *network_; }
  std::shared_ptr<engine::Dataset> dataset(engine::Split split) override;
  torch::Tensor trainingStep(const engine::Batch& batch) override;
  std::unique_ptr<engine::Evaluation> evaluation(engine::Split split) override;
  std::optional<std::vector<std::filesystem::path>> inferenceAssets() const override;
  std::vector<std::string> taskHeads() const override { return {"head."}; }

  // Token ids [B, L] (padded with pad()) -> logits [B, classes].
  torch::Tensor logits(const torch::Tensor& tokens) { return network_->forward(tokens); }
  std::vector<int> tokens(const std::string& text) const { return encoderTokens(tokenizer_, text, format_.maxLength); }
  const std::vector<std::string>& classes() const { return classes_; }

  // Serving mode text_classification.
  const std::vector<std::string>& classNames() const override { return classes_; }
  torch::Tensor tokenIds(const std::string& text) const override;
  // Texts of different lengths are padded to the longest, which the network masks out.
  torch::Tensor batchLogits(const std::vector<torch::Tensor>& texts) override;
  int64_t pad() const { return network_->pad(); }
  int64_t maxLength() const { return format_.maxLength; }
  TextNetwork& network() { return *network_; }
  const std::filesystem::path& tokenizerPath() const { return tokenizerPath_; }

 private:
  TextClassificationData& data();
  engine::ModelContext context_;
  std::filesystem::path file_, tokenizerPath_;
  TextClassificationFormat format_;
  text::Tokenizer tokenizer_;
  std::vector<std::string> classes_;
  std::optional<TextClassificationData> data_;
  std::shared_ptr<TextNetwork> network_;
  double labelSmoothing_;
};

}  // namespace reef::nlp

#pragma once
// Text classification evaluation: the classifier metrics plus predictions to read, the wrong ones
// first and the most confident of those on top (the texts decoded back from their tokens), an
// artifact the studio shows as a table.
#include "backend/collections/text/tokenizer.h"
#include "backend/engine/core/classification_evaluation.h"

namespace reef::nlp {

class TextClassificationEvaluation : public engine::ClassificationEvaluation {
 public:
  TextClassificationEvaluation(LogitsFn logits, std::vector<std::string> classNames, const text::Tokenizer& tokenizer,
                               int pad, size_t examplesPerKind = 100);
  std::vector<engine::Artifact> writeArtifacts(const std::filesystem::path& dir, const std::string& prefix) override;

 protected:
  void observe(const engine::Batch& batch, const torch::Tensor& predicted, const torch::Tensor& confidence) override;

 private:
  struct Example {
    std::string text;
    int64_t truth, predicted;
    double confidence;
  };
  const text::Tokenizer& tokenizer_;
  int pad_;
  size_t perKind_;
  std::vector<Example> wrong_, right_;
};

}  // namespace reef::nlp

#include "backend/collections/nlp/text_evaluation.h"

#include "backend/engine/core/json_artifact.h"

#include <algorithm>

namespace reef::nlp {

TextClassificationEvaluation::TextClassificationEvaluation(LogitsFn logits, std::vector<std::string> classNames,
                                                           const text::Tokenizer& tokenizer, int pad,
                                                           size_t examplesPerKind)
    : ClassificationEvaluation(std::move(logits), "label", std::move(classNames)),
      tokenizer_(tokenizer),
      pad_(pad),
      perKind_(examplesPerKind) {}

void TextClassificationEvaluation::observe(const engine::Batch& batch, const torch::Tensor& predicted,
                                           const torch::Tensor& confidence) {
  const torch::Tensor tokens = batch.at("tokens").to(torch::kCPU);
  const torch::Tensor labels = batch.at("label").to(torch::kCPU);
  for (int64_t i = 0; i < labels.size(0); ++i) {
    const int64_t truth = labels[i].item<int64_t>(), guess = predicted[i].item<int64_t>();
    auto& kind = truth == guess ? right_ : wrong_;
    if (kind.size() >= perKind_) continue;
    std::vector<int> ids;
    for (int64_t j = 0; j < tokens.size(1); ++j)
      if (const auto id = tokens[i][j].item<int64_t>(); id != pad_) ids.push_back(static_cast<int>(id));
    kind.push_back({tokenizer_.decode(ids), truth, guess, confidence[i].item<double>()});
  }
}

std::vector<engine::Artifact> TextClassificationEvaluation::writeArtifacts(const std::filesystem::path& dir,
                                                                           const std::string& prefix) {
  auto artifacts = ClassificationEvaluation::writeArtifacts(dir, prefix);
  // Confident mistakes are the ones worth reading first.
  std::sort(wrong_.begin(), wrong_.end(),
            [](const Example& a, const Example& b) { return a.confidence > b.confidence; });
  Json rows = Json::array();
  for (const auto* kind : {&wrong_, &right_})
    for (const auto& e : *kind)
      rows.push_back({{"text", e.text},
                      {"truth", classNames()[static_cast<size_t>(e.truth)]},
                      {"predicted", classNames()[static_cast<size_t>(e.predicted)]},
                      {"confidence", e.confidence},
                      {"correct", e.truth == e.predicted}});
  artifacts.push_back(engine::writeJsonArtifact(dir / (prefix + "text_predictions.json"), "text_predictions", rows));
  return artifacts;
}

}  // namespace reef::nlp

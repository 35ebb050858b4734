#include "backend/collections/nlp/text_classifier.h"

#include "backend/collections/nlp/nlp_files.h"
#include "backend/collections/nlp/text_evaluation.h"

#include <algorithm>

namespace fs = std::filesystem;

namespace reef::nlp {

TextClassifier::TextClassifier(const engine::ModelContext& context, const NetworkBuilder& build) : context_(context) {
  const Json& d = context.spec.at("data");
  file_ = underDataRoot(context.dataRoot, d.at("dataset").get<std::string>());
  tokenizerPath_ = underDataRoot(context.dataRoot, d.at("tokenizer").get<std::string>());
  format_.textField = d.at("text_field").get<std::string>();
  format_.labelField = d.at("label_field").get<std::string>();
  format_.classes = commaList(d.at("classes").get<std::string>());
  format_.minCount = d.at("min_count").get<int64_t>();
  format_.maxLength = d.at("max_length").get<int64_t>();
  tokenizer_ = loadTokenizer(tokenizerPath_);
  classes_ = format_.classes.empty() ? data().classes : format_.classes;
  network_ = build(tokenizer_.vocabSize(), static_cast<int64_t>(classes_.size()), padId(tokenizer_), format_.maxLength);
  labelSmoothing_ = context.spec.at("model").at("label_smoothing").get<double>();
}

TextClassificationData& TextClassifier::data() {
  if (!data_) data_ = loadTextClassification(file_, format_, tokenizer_);
  return *data_;
}

std::shared_ptr<engine::Dataset> TextClassifier::dataset(engine::Split split) { return splitOf(data(), split); }

torch::Tensor TextClassifier::trainingStep(const engine::Batch& batch) {
  return torch::nn::functional::cross_entropy(
      logits(batch.at("tokens")), batch.at("label"),
      torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(labelSmoothing_));
}

std::unique_ptr<engine::Evaluation> TextClassifier::evaluation(engine::Split) {
  return std::make_unique<TextClassificationEvaluation>(
      [this](const engine::Batch& b) { return logits(b.at("tokens")); }, classes_, tokenizer_, static_cast<int>(pad()));
}

torch::Tensor TextClassifier::tokenIds(const std::string& text) const {
  const std::vector<int> ids = tokens(text);
  return torch::tensor(std::vector<int64_t>(ids.begin(), ids.end()), torch::kInt64);
}

torch::Tensor TextClassifier::batchLogits(const std::vector<torch::Tensor>& texts) {
  int64_t longest = 1;
  for (const auto& t : texts) longest = std::max(longest, t.size(0));
  torch::Tensor batch = torch::full({static_cast<int64_t>(texts.size()), longest}, pad(), torch::kInt64);
  for (size_t i = 0; i < texts.size(); ++i)
    batch[static_cast<int64_t>(i)].narrow(0, 0, texts[i].size(0)).copy_(texts[i]);
  return logits(batch.to(network_->parameters().front().device()));
}

std::optional<std::vector<fs::path>> TextClassifier::inferenceAssets() const {
  if (format_.classes.empty()) return std::nullopt;  // the classes are known only from the data
  return std::vector<fs::path>{fs::relative(tokenizerPath_, context_.dataRoot)};
}

}  // namespace reef::nlp

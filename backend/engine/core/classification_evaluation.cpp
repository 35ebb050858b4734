#include "backend/engine/core/classification_evaluation.h"

#include <fstream>

namespace reef::engine {

ClassificationEvaluation::ClassificationEvaluation(LogitsFn logits, std::string labelField,
                                                   std::vector<std::string> classNames)
    : logits_(std::move(logits)),
      labelField_(std::move(labelField)),
      names_(classNames),
      confusion_(std::move(classNames)) {}

void ClassificationEvaluation::update(const Batch& batch) {
  const torch::Tensor labels = batch.at(labelField_);
  const torch::Tensor logits = logits_(batch).to(torch::kFloat32);
  lossSum_ += torch::nn::functional::cross_entropy(
                  logits, labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                  .item<double>();
  const auto [confidence, best] = torch::softmax(logits, 1).max(1);
  const torch::Tensor predicted = best.to(torch::kCPU).contiguous();
  const torch::Tensor truth = labels.to(torch::kCPU, torch::kInt64).contiguous();
  const int64_t* p = predicted.data_ptr<int64_t>();
  const int64_t* t = truth.data_ptr<int64_t>();
  for (int64_t i = 0; i < truth.numel(); ++i) confusion_.add(t[i], p[i]);
  samples_ += truth.numel();
  observe(batch, predicted, confidence.to(torch::kCPU).contiguous());
}

MetricMap ClassificationEvaluation::finish() {
  return {{"loss", samples_ ? lossSum_ / static_cast<double>(samples_) : 0.0},
          {"acc", confusion_.accuracy()},
          {"macro_f1", confusion_.macroF1()}};
}

std::vector<Artifact> ClassificationEvaluation::writeArtifacts(const std::filesystem::path& dir,
                                                               const std::string& prefix) {
  const auto json = dir / (prefix + "confusion_matrix.json");
  const auto csv = dir / (prefix + "confusion_matrix.csv");
  for (const auto& [path, text] :
       {std::pair{json, confusion_.toJson().dump(2) + "\n"}, std::pair{csv, confusion_.toCsv()}}) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error("cannot write '" + path.string() + "' (is the disk full?)");
  }
  return {{"confusion_matrix", json}, {"confusion_matrix_csv", csv}};
}

}  // namespace reef::engine

#pragma once
// Evaluation of any classifier whose batches carry integer labels: mean cross-entropy, accuracy,
// macro-F1, and the confusion matrix written as an artifact.
#include "backend/engine/core/classification_metrics.h"
#include "backend/engine/core/model.h"

#include <functional>
#include <string>
#include <vector>

namespace reef::engine {

class ClassificationEvaluation : public Evaluation {
 public:
  using LogitsFn = std::function<torch::Tensor(const Batch&)>;
  ClassificationEvaluation(LogitsFn logits, std::string labelField, std::vector<std::string> classNames);

  void update(const Batch& batch) override;
  MetricMap finish() override;  // loss, acc, macro_f1
  std::vector<Artifact> writeArtifacts(const std::filesystem::path& dir, const std::string& prefix) override;

 protected:
  // Sees every batch's predictions (CPU, int64) and their softmax confidence (CPU, float), for
  // collections that keep examples to show.
  virtual void observe(const Batch& batch, const torch::Tensor& predicted, const torch::Tensor& confidence) {
    (void)batch;
    (void)predicted;
    (void)confidence;
  }
  const std::vector<std::string>& classNames() const { return names_; }

 private:
  LogitsFn logits_;
  std::string labelField_;
  std::vector<std::string> names_;
  ConfusionMatrix confusion_;
  double lossSum_ = 0;
  int64_t samples_ = 0;
};

}  // namespace reef::engine

#pragma once
// Image classification evaluation: the classifier metrics plus example predictions to look at,
// the wrong ones first (kept as PGM/PPM images with a JSON index, an artifact the studio shows).
#include "backend/engine/core/classification_evaluation.h"

namespace reef::vision {

class ImageClassificationEvaluation : public engine::ClassificationEvaluation {
 public:
  ImageClassificationEvaluation(LogitsFn logits, std::vector<std::string> classNames, size_t examplesPerKind = 24);
  std::vector<engine::Artifact> writeArtifacts(const std::filesystem::path& dir, const std::string& prefix) override;

 protected:
  void observe(const engine::Batch& batch, const torch::Tensor& predicted, const torch::Tensor& confidence) override;

 private:
  struct Example {
    torch::Tensor image;  // [C, H, W], as the model saw it
    int64_t truth, predicted;
    double confidence;
  };
  size_t perKind_;
  std::vector<Example> wrong_, right_;
};

}  // namespace reef::vision

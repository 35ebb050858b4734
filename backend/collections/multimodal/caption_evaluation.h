#pragma once
// The captioner's evaluation of a split: caption loss, exact match, BLEU-4 and BLEU-1 of greedy
// captions against the references, and the same measures with each image swapped for the one
// before it ("_shuffled": what the decoder makes of language alone, the baseline the image must
// beat). Writes every caption beside its reference (caption_samples.jsonl).
#include "backend/collections/multimodal/image_text_data.h"
#include "backend/engine/core/model.h"

namespace reef::multimodal {

class CaptionerModel;

class CaptionEvaluation : public engine::Evaluation {
 public:
  CaptionEvaluation(CaptionerModel& model, const ImageTextSplit& split) : model_(model), split_(split) {}
  void update(const engine::Batch& batch) override;
  engine::MetricMap finish() override;
  std::vector<engine::Artifact> writeArtifacts(const std::filesystem::path& dir, const std::string& prefix) override;

 private:
  CaptionerModel& model_;
  const ImageTextSplit& split_;
  std::vector<int64_t> items_;
  std::vector<std::string> predictions_, shuffled_, references_;
  torch::Tensor previousImage_;
  double loss_ = 0, lossShuffled_ = 0;
  int64_t count_ = 0;
};

}  // namespace reef::multimodal

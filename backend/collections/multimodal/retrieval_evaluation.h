#pragma once
// The CLIP model's evaluation of a split: the contrastive loss, and per source (emoji, fashion,
// ...) image->text and text->image recall@1 and @5 among that source's items of the split, each
// with its chance figure; for sources whose items carry labels, zero-shot classification from
// prompts (data.zero_shot_prompt with the label), with chance = 1 / classes.
#include "backend/collections/multimodal/image_text_data.h"
#include "backend/engine/core/model.h"

#include <map>

namespace reef::multimodal {

class ClipModel;

class RetrievalEvaluation : public engine::Evaluation {
 public:
  RetrievalEvaluation(ClipModel& model, const ImageTextSplit& split) : model_(model), split_(split) {}
  void update(const engine::Batch& batch) override;
  engine::MetricMap finish() override;

 private:
  ClipModel& model_;
  const ImageTextSplit& split_;
  std::map<int64_t, torch::Tensor> images_;  // item -> embedding
  double loss_ = 0;
  int64_t count_ = 0;
};

}  // namespace reef::multimodal

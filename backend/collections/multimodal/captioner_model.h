#pragma once
// The multimodal collection's captioner: trained with next-token cross-entropy on the captions
// (the image tokens are context, not targets), optionally from a trained CLIP run's image encoder
// kept frozen (model.image_encoder_from); evaluated in exact match and BLEU of greedy captions,
// beside the same figures with each image swapped for another (what the decoder gets from the
// words alone); used by `reef caption`.
#include "backend/collections/multimodal/captioner_network.h"
#include "backend/collections/multimodal/image_text_model.h"
#include "backend/engine/core/inference.h"

#include <string>
#include <vector>

namespace reef::multimodal {

class CaptionerModel : public ImageTextModel, public engine::ImageCaptioning {
 public:
  explicit CaptionerModel(const engine::ModelContext& context);

  torch::nn::Module& module() override { return *network_; }
  std::shared_ptr<engine::Dataset> dataset(engine::Split split) override;
  torch::Tensor trainingStep(const engine::Batch& batch) override;
  std::unique_ptr<engine::Evaluation> evaluation(engine::Split split) override;

  // Mean next-token cross-entropy (nats) of a batch's captions and EOS given its images.
  torch::Tensor captionLoss(const torch::Tensor& images, const torch::Tensor& tokens, const torch::Tensor& length);
  // Greedy captions of images [B, 3, S, S] (KV-cached decoding).
  std::vector<std::string> caption(const torch::Tensor& images);

  // Serving (engine::ImageCaptioning).
  std::vector<std::string> captions(const std::vector<torch::Tensor>& images) override;
  int64_t imageTokens() const override;
  int64_t captionTokens(const std::string& caption) const override;

 private:
  void loadImageEncoder();
  CaptionerNetwork network_{nullptr};
  std::filesystem::path encoderFrom_;
  bool freezeEncoder_ = false, encoderLoaded_ = false;
};

}  // namespace reef::multimodal

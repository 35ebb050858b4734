#pragma once
// The CLIP-style dual encoder: an image encoder (a small CNN whose last feature map is also the
// captioner's image tokens) and a text encoder (the NLP collection's transformer trunk, mean
// pooled), each projected into one embedding space and L2-normalised, with a learned temperature.
#include "backend/collections/nlp/encoder_trunk.h"

#include <torch/torch.h>

#include <vector>

namespace reef::multimodal {

class ImageEncoderImpl : public torch::nn::Module {
 public:
  explicit ImageEncoderImpl(int64_t width);
  // images [B, 3, S, S] in [0, 1] -> feature tokens [B, (S / 8)^2, dim()], row-major over the map.
  torch::Tensor forward(const torch::Tensor& images);
  int64_t dim() const { return 4 * width_; }

 private:
  torch::nn::Sequential layers_{nullptr};
  int64_t width_;
};
TORCH_MODULE(ImageEncoder);

class TextTowerImpl : public torch::nn::Module {
 public:
  TextTowerImpl(const nlp::EncoderTrunkOptions& options, int64_t pad);
  // tokens [B, L] (padded with the pad id) -> [B, dim], the mean over the real tokens.
  torch::Tensor forward(const torch::Tensor& tokens);

 private:
  nlp::EncoderTrunk trunk_;
  int64_t pad_;
};
TORCH_MODULE(TextTower);

struct ClipOptions {
  int64_t imageWidth = 32, embedDim = 128;
  nlp::EncoderTrunkOptions text;
  int64_t pad = 0;
};

class ClipNetworkImpl : public torch::nn::Module {
 public:
  explicit ClipNetworkImpl(const ClipOptions& options);
  torch::Tensor imageEmbeddings(const torch::Tensor& images);  // [B, E], unit length
  torch::Tensor textEmbeddings(const torch::Tensor& tokens);   // [B, E], unit length
  torch::Tensor scale() const;                                 // exp(logit_scale), at most 100

  ImageEncoder image_encoder{nullptr};
  torch::nn::Linear image_projection{nullptr};
  TextTower text_encoder{nullptr};
  torch::nn::Linear text_projection{nullptr};
  torch::Tensor logit_scale;
};
TORCH_MODULE(ClipNetwork);

// The symmetric contrastive loss of a batch of image and text embeddings [B, E]: cross-entropy
// of each image against the batch's texts and of each text against its images. Pairs with the
// same text id are all positives (a caption repeated in the batch is not a negative), with the
// target mass shared equally among them.
torch::Tensor clipLoss(const torch::Tensor& images, const torch::Tensor& texts, const torch::Tensor& textIds,
                       const torch::Tensor& scale);

}  // namespace reef::multimodal

#pragma once
// The vision collection's model: any ImageNetwork trained with cross-entropy on an image dataset.
// It is built from the dataset's name alone (shape, classes), so that a bundle or a checkpoint
// classifies images on a machine without the dataset; the images are read on first use.
#include "backend/collections/vision/image_network.h"
#include "backend/collections/vision/vision_data.h"
#include "backend/engine/core/inference.h"
#include "backend/engine/core/model.h"

#include <functional>
#include <memory>
#include <optional>

namespace reef::vision {

class ImageClassifier : public engine::Model, public engine::ImageClassification {
 public:
  using NetworkBuilder = std::function<std::shared_ptr<ImageNetwork>(const ImageShape&, int64_t classes)>;
  ImageClassifier(const engine::ModelContext& context, const NetworkBuilder& build);

  torch::nn::Module& module() override { return *network_; }
  std::shared_ptr<engine::Dataset> dataset(engine::Split split) override;
  torch::Tensor trainingStep(const engine::Batch& batch) override;
  std::unique_ptr<engine::Evaluation> evaluation(engine::Split split) override;
  std::optional<std::vector<std::filesystem::path>> inferenceAssets() const override {
    return std::vector<std::filesystem::path>{};
  }
  void to(const torch::Device& device) override;

  // Pixels in [0, 1], [B, C, H, W] -> logits [B, classes].
  torch::Tensor logits(const torch::Tensor& images);
  const VisionDatasetInfo& info() const { return info_; }

  // Serving mode image_classification.
  const std::vector<std::string>& classNames() const override { return info_.classes; }
  InputShape inputShape() const override { return {info_.shape.channels, info_.shape.height, info_.shape.width}; }
  torch::Tensor batchLogits(const std::vector<torch::Tensor>& images) override;
  ImageNetwork& network() { return *network_; }

 private:
  VisionData& data();
  engine::ModelContext context_;
  VisionDatasetInfo info_;
  std::optional<VisionData> data_;
  std::shared_ptr<ImageNetwork> network_;
  double labelSmoothing_;
};

}  // namespace reef::vision

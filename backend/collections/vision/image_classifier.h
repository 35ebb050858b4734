#pragma once
// The vision collection's model: any ImageNetwork trained with cross-entropy on an image dataset.
#include "core/model.h"
#include "vision/image_network.h"
#include "vision/vision_data.h"

#include <functional>
#include <memory>

namespace reef::vision {

class ImageClassifier : public engine::Model {
 public:
  using NetworkBuilder = std::function<std::shared_ptr<ImageNetwork>(const ImageShape&, int64_t classes)>;
  ImageClassifier(const engine::ModelContext& context, const NetworkBuilder& build);

  torch::nn::Module& module() override { return *network_; }
  std::shared_ptr<engine::Dataset> dataset(engine::Split split) override;
  torch::Tensor trainingStep(const engine::Batch& batch) override;
  std::unique_ptr<engine::Evaluation> evaluation(engine::Split split) override;
  void to(const torch::Device& device) override;

  torch::Tensor logits(const torch::Tensor& images);

 private:
  VisionData data_;
  std::shared_ptr<ImageNetwork> network_;
  double labelSmoothing_;
};

}  // namespace reef::vision

#include "vision/image_classifier.h"

#include "vision/image_evaluation.h"

namespace reef::vision {

ImageClassifier::ImageClassifier(const engine::ModelContext& context, const NetworkBuilder& build) {
  const Json& data = context.spec.at("data");
  data_ = loadVisionData(context.dataRoot, data.at("dataset").get<std::string>(), data.at("val_size").get<int64_t>());
  network_ = build(data_.shape, static_cast<int64_t>(data_.classes.size()));
  labelSmoothing_ = context.spec.at("model").at("label_smoothing").get<double>();
}

std::shared_ptr<engine::Dataset> ImageClassifier::dataset(engine::Split split) {
  switch (split) {
    case engine::Split::Train: return data_.train;
    case engine::Split::Val: return data_.val;
    case engine::Split::Test: return data_.test;
  }
  return nullptr;
}

void ImageClassifier::to(const torch::Device& device) {
  network_->to(device);
  if (!network_->channelsLast()) return;
  torch::NoGradGuard noGrad;
  // Tensor::to, not contiguous(): a kernel with one input channel counts as contiguous in both
  // layouts, and only to() re-lays it out so that oneDNN picks channels-last for the whole network.
  for (auto& p : network_->parameters())
    if (p.dim() == 4) p.set_data(p.to(p.options(), false, false, torch::MemoryFormat::ChannelsLast));
}

torch::Tensor ImageClassifier::logits(const torch::Tensor& images) {
  return network_->forward(network_->channelsLast() ? images.contiguous(torch::MemoryFormat::ChannelsLast) : images);
}

torch::Tensor ImageClassifier::trainingStep(const engine::Batch& batch) {
  return torch::nn::functional::cross_entropy(
      logits(batch.at("image")), batch.at("label"),
      torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(labelSmoothing_));
}

std::unique_ptr<engine::Evaluation> ImageClassifier::evaluation(engine::Split) {
  return std::make_unique<ImageClassificationEvaluation>(
      [this](const engine::Batch& b) { return logits(b.at("image")); }, data_.classes);
}

}  // namespace reef::vision

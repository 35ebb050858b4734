#include "backend/collections/vision/image_classifier.h"

#include "backend/collections/vision/image_evaluation.h"

namespace reef::vision {

ImageClassifier::ImageClassifier(const engine::ModelContext& context, const NetworkBuilder& build)
    : context_(context), info_(visionDatasetInfo(context.spec.at("data").at("dataset").get<std::string>())) {
  network_ = build(info_.shape, static_cast<int64_t>(info_.classes.size()));
  labelSmoothing_ = context.spec.at("model").at("label_smoothing").get<double>();
}

VisionData& ImageClassifier::data() {
  if (!data_) {
    const Json& data = context_.spec.at("data");
    data_ =
        loadVisionData(context_.dataRoot, data.at("dataset").get<std::string>(), data.at("val_size").get<int64_t>());
  }
  return *data_;
}

std::shared_ptr<engine::Dataset> ImageClassifier::dataset(engine::Split split) {
  switch (split) {
    case engine::Split::Train:
      // Training fixes the normalisation; a restored checkpoint then carries the same values.
      network_->setNormalisation(data().mean, data().stddev);
      return data().train;
    case engine::Split::Val:
      return data().val;
    case engine::Split::Test:
      return data().test;
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
  const torch::Tensor x = network_->normalise(images);
  return network_->forward(network_->channelsLast() ? x.contiguous(torch::MemoryFormat::ChannelsLast) : x);
}

torch::Tensor ImageClassifier::batchLogits(const std::vector<torch::Tensor>& images) {
  return logits(torch::stack(images).to(network_->parameters().front().device()));
}

torch::Tensor ImageClassifier::trainingStep(const engine::Batch& batch) {
  return torch::nn::functional::cross_entropy(
      logits(batch.at("image")), batch.at("label"),
      torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(labelSmoothing_));
}

std::unique_ptr<engine::Evaluation> ImageClassifier::evaluation(engine::Split) {
  return std::make_unique<ImageClassificationEvaluation>(
      [this](const engine::Batch& b) { return logits(b.at("image")); }, info_.classes);
}

}  // namespace reef::vision

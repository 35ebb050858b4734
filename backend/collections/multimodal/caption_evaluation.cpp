#include "backend/collections/multimodal/caption_evaluation.h"

#include "backend/collections/multimodal/caption_metrics.h"
#include "backend/collections/multimodal/captioner_model.h"
#include "backend/protocol/json.h"

#include <fstream>

namespace reef::multimodal {

void CaptionEvaluation::update(const engine::Batch& batch) {
  const torch::Tensor& images = batch.at("image");
  // Each item gets the image before it (the previous batch's last for the first), so a batch of one
  // is compared with another image too.
  const int64_t n = images.size(0);
  const torch::Tensor before = previousImage_.defined() ? previousImage_ : images.narrow(0, n - 1, 1);
  const torch::Tensor swappedImages = torch::cat({before, images.narrow(0, 0, n - 1)});
  previousImage_ = images.narrow(0, n - 1, 1).clone();
  const auto weight = static_cast<double>(batch.size);
  loss_ += model_.captionLoss(images, batch.at("tokens"), batch.at("length")).item<double>() * weight;
  lossShuffled_ += model_.captionLoss(swappedImages, batch.at("tokens"), batch.at("length")).item<double>() * weight;
  count_ += batch.size;
  const auto predicted = model_.caption(images);
  const auto swapped = model_.caption(swappedImages);
  const torch::Tensor items = batch.at("item").cpu();
  for (int64_t i = 0; i < batch.size; ++i) {
    items_.push_back(items[i].item<int64_t>());
    references_.push_back(split_.items()[static_cast<size_t>(items_.back())].text);
    predictions_.push_back(predicted[static_cast<size_t>(i)]);
    shuffled_.push_back(swapped[static_cast<size_t>(i)]);
  }
}

engine::MetricMap CaptionEvaluation::finish() {
  engine::MetricMap m;
  m["loss"] = count_ ? loss_ / static_cast<double>(count_) : 0;
  m["loss_shuffled"] = count_ ? lossShuffled_ / static_cast<double>(count_) : 0;
  m["exact_match"] = exactMatch(predictions_, references_);
  m["bleu"] = corpusBleu(predictions_, references_, 4);
  m["bleu1"] = corpusBleu(predictions_, references_, 1);
  m["exact_match_shuffled"] = exactMatch(shuffled_, references_);
  m["bleu_shuffled"] = corpusBleu(shuffled_, references_, 4);
  m["bleu1_shuffled"] = corpusBleu(shuffled_, references_, 1);
  return m;
}

std::vector<engine::Artifact> CaptionEvaluation::writeArtifacts(const std::filesystem::path& dir,
                                                                const std::string& prefix) {
  const auto path = dir / (prefix + "caption_samples.jsonl");
  std::ofstream out(path);
  for (size_t i = 0; i < items_.size(); ++i) {
    const ImageTextItem& item = split_.items()[static_cast<size_t>(items_[i])];
    out << Json{{"image", item.image.string()}, {"reference", references_[i]}, {"prediction", predictions_[i]}}.dump()
        << "\n";
  }
  if (!out) throw std::runtime_error("cannot write '" + path.string() + "'");
  return {{"caption_samples", path}};
}

}  // namespace reef::multimodal

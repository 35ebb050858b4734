#include "backend/collections/vision/image_evaluation.h"

#include <cstdio>
#include <fstream>

namespace reef::vision {

ImageClassificationEvaluation::ImageClassificationEvaluation(LogitsFn logits, std::vector<std::string> classNames,
                                                             size_t examplesPerKind)
    : ClassificationEvaluation(std::move(logits), "label", std::move(classNames)), perKind_(examplesPerKind) {}

void ImageClassificationEvaluation::observe(const engine::Batch& batch, const torch::Tensor& predicted,
                                            const torch::Tensor& confidence) {
  if (wrong_.size() >= perKind_ && right_.size() >= perKind_) return;
  const torch::Tensor images = batch.at("image").to(torch::kCPU, torch::kFloat32);
  const torch::Tensor labels = batch.at("label").to(torch::kCPU);
  for (int64_t i = 0; i < labels.size(0); ++i) {
    const int64_t truth = labels[i].item<int64_t>(), guess = predicted[i].item<int64_t>();
    auto& kind = truth == guess ? right_ : wrong_;
    if (kind.size() < perKind_) kind.push_back({images[i].clone(), truth, guess, confidence[i].item<double>()});
  }
}

std::vector<engine::Artifact> ImageClassificationEvaluation::writeArtifacts(const std::filesystem::path& dir,
                                                                            const std::string& prefix) {
  auto artifacts = ClassificationEvaluation::writeArtifacts(dir, prefix);
  const std::filesystem::path folder = dir / (prefix + "samples");
  std::filesystem::create_directories(folder);
  Json index = Json::array();
  int n = 0;
  for (const auto* kind : {&wrong_, &right_})
    for (const auto& e : *kind) {
      // Contrast-stretched to 0..255, so that a faint image is still visible.
      const torch::Tensor x = e.image;
      const float lo = x.min().item<float>(), hi = x.max().item<float>();
      const torch::Tensor pixels = ((x - lo) / std::max(1e-6f, hi - lo) * 255.0f)
                                       .round()
                                       .clamp(0, 255)
                                       .to(torch::kUInt8)
                                       .permute({1, 2, 0})
                                       .contiguous();
      const int64_t c = x.size(0), h = x.size(1), w = x.size(2);
      char name[32];
      std::snprintf(name, sizeof name, "%03d.%s", n++, c == 1 ? "pgm" : "ppm");
      std::ofstream out(folder / name, std::ios::binary);
      out << (c == 1 ? "P5" : "P6") << "\n" << w << " " << h << "\n255\n";
      out.write(reinterpret_cast<const char*>(pixels.data_ptr<uint8_t>()),
                static_cast<std::streamsize>(pixels.numel()));
      if (!out) throw std::runtime_error("cannot write '" + (folder / name).string() + "'");
      index.push_back({{"file", std::string(prefix + "samples/") + name},
                       {"truth", classNames()[static_cast<size_t>(e.truth)]},
                       {"predicted", classNames()[static_cast<size_t>(e.predicted)]},
                       {"confidence", e.confidence},
                       {"correct", e.truth == e.predicted}});
    }
  const auto json = dir / (prefix + "samples.json");
  std::ofstream(json) << index.dump(2) << "\n";
  artifacts.push_back({"sample_predictions", json});
  return artifacts;
}

}  // namespace reef::vision

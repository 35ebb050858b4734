#include "backend/collections/vision/image_dataset.h"

#include <stdexcept>

namespace reef::vision {

ImageClassificationDataset::ImageClassificationDataset(std::shared_ptr<const ImageSet> set, int64_t begin,
                                                       int64_t count)
    : set_(std::move(set)), begin_(begin), count_(count) {
  if (begin_ < 0 || count_ < 0 || begin_ + count_ > set_->size())
    throw std::out_of_range("image split [" + std::to_string(begin_) + ", " + std::to_string(begin_ + count_) +
                            ") exceeds the " + std::to_string(set_->size()) + " images available");
}

engine::Batch ImageClassificationDataset::get(const std::vector<int64_t>& indices) const {
  const ImageShape& s = set_->shape;
  const auto n = static_cast<int64_t>(indices.size());
  torch::Tensor images = torch::empty({n, s.channels, s.height, s.width}, torch::kFloat32);
  torch::Tensor labels = torch::empty({n}, torch::kInt64);
  float* out = images.data_ptr<float>();
  int64_t* lab = labels.data_ptr<int64_t>();
  const int64_t pixels = s.pixels();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t index = indices[static_cast<size_t>(i)];
    if (index < 0 || index >= count_) throw std::out_of_range("image index out of range");
    const uint8_t* src = set_->pixels.data() + (begin_ + index) * pixels;
    float* dst = out + i * pixels;
    for (int64_t p = 0; p < pixels; ++p) dst[p] = static_cast<float>(src[p]) * (1.0f / 255.0f);
    lab[i] = set_->labels[static_cast<size_t>(begin_ + index)];
  }
  engine::Batch batch;
  batch.fields["image"] = images;
  batch.fields["label"] = labels;
  batch.size = n;
  return batch;
}

}  // namespace reef::vision

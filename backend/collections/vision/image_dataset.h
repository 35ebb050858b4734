#pragma once
// Labelled images kept as bytes in memory; a split is a contiguous range of them. Batches are
// float tensors [B, C, H, W] of pixels in [0, 1] ("image") and int64 labels [B] ("label").
#include "backend/engine/core/dataset.h"

#include <memory>
#include <string>
#include <vector>

namespace reef::vision {

struct ImageShape {
  int64_t channels = 1, height = 0, width = 0;
  int64_t pixels() const { return channels * height * width; }
};

struct ImageSet {
  ImageShape shape;
  std::vector<uint8_t> pixels;  // N * C * H * W
  std::vector<int64_t> labels;  // N
  int64_t size() const { return static_cast<int64_t>(labels.size()); }
};

class ImageClassificationDataset : public engine::Dataset {
 public:
  // Images [begin, begin + count) of `set`.
  ImageClassificationDataset(std::shared_ptr<const ImageSet> set, int64_t begin, int64_t count);
  int64_t size() const override { return count_; }
  engine::Batch get(const std::vector<int64_t>& indices) const override;

 private:
  std::shared_ptr<const ImageSet> set_;
  int64_t begin_, count_;
};

}  // namespace reef::vision

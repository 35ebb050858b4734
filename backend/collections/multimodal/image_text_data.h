#pragma once
// Image-text pairs for the multimodal models, read from JSON-lines manifests (one pair a line):
// {"image": PNG/JPEG path, or an IDX image file with "index": N; relative paths are under the
// manifest's folder, "text": caption, "split": "train" | "val" | "test", "source": the group
// retrieval is measured within (default: the manifest's name), "label": optional class phrase for
// zero-shot classification}. scripts/prepare-data.sh writes emoji.jsonl and fashion.jsonl.
#include "backend/collections/text/tokenizer.h"
#include "backend/engine/core/dataset.h"
#include "backend/engine/core/model.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace reef::multimodal {

struct ImageTextItem {
  std::string text, source, label;
  std::filesystem::path image;
  int64_t index = -1;  // the image's place in an IDX file; -1 for a PNG/JPEG file
  std::vector<int> tokens;
  int64_t textId = 0;  // equal texts share an id (they are all positives of each other)
};

// One split: its items and their pixels ([N, 3, S, S] bytes). Batches hold "image" [B, 3, S, S]
// floats in [0, 1], "tokens" [B, L] (padded), "length" [B], "text_id" [B] and "item" [B] (the
// item's place in items()).
class ImageTextSplit : public engine::Dataset {
 public:
  ImageTextSplit(std::vector<ImageTextItem> items, torch::Tensor pixels, int pad, bool balanceSources);
  int64_t size() const override { return static_cast<int64_t>(order_.size()); }
  engine::Batch get(const std::vector<int64_t>& indices) const override;
  const std::vector<ImageTextItem>& items() const { return items_; }
  torch::Tensor image(int64_t item) const;   // [3, S, S] floats in [0, 1]
  std::vector<std::string> sources() const;  // in order of first appearance

 private:
  std::vector<ImageTextItem> items_;
  torch::Tensor pixels_;
  std::vector<int64_t> order_;  // items, repeated where sources are balanced
  int pad_;
};

struct ImageTextData {
  std::shared_ptr<ImageTextSplit> train, val, test;
};

// The data section the multimodal models share.
struct ImageTextSettings {
  std::vector<std::filesystem::path> manifests;
  std::filesystem::path tokenizer;
  int64_t imageSize = 32, maxLength = 24;
  bool balanceSources = true;
  std::string zeroShotPrompt;

  static ImageTextSettings fromContext(const engine::ModelContext& context);
};

ImageTextData loadImageText(const ImageTextSettings& settings, const text::Tokenizer& tokenizer);

}  // namespace reef::multimodal

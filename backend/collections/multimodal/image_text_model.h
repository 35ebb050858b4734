#pragma once
// What the multimodal models share: the data section read from the spec, the tokenizer (a
// bundle's one asset) and the image-text splits, loaded when first asked for (inference needs
// neither the manifests nor their images).
#include "backend/collections/multimodal/image_text_data.h"
#include "backend/collections/nlp/nlp_files.h"
#include "backend/engine/core/model.h"

#include <optional>

namespace reef::multimodal {

class ImageTextModel : public engine::Model {
 public:
  explicit ImageTextModel(const engine::ModelContext& context)
      : context_(context),
        settings_(ImageTextSettings::fromContext(context)),
        tokenizer_(nlp::loadTokenizer(settings_.tokenizer)) {}

  std::shared_ptr<engine::Dataset> dataset(engine::Split split) override { return nlp::splitOf(data(), split); }
  std::optional<std::vector<std::filesystem::path>> inferenceAssets() const override {
    return std::vector<std::filesystem::path>{std::filesystem::relative(settings_.tokenizer, context_.dataRoot)};
  }
  ImageTextSplit& split(engine::Split split) {
    ImageTextData& d = data();
    return split == engine::Split::Train ? *d.train : split == engine::Split::Val ? *d.val : *d.test;
  }
  const ImageTextSettings& settings() const { return settings_; }
  const text::Tokenizer& tokenizer() const { return tokenizer_; }

 protected:
  ImageTextData& data() {
    if (!data_) data_ = loadImageText(settings_, tokenizer_);
    return *data_;
  }
  // The device the network's parameters live on.
  torch::Device device() { return module().parameters().front().device(); }

  engine::ModelContext context_;
  ImageTextSettings settings_;
  text::Tokenizer tokenizer_;
  std::optional<ImageTextData> data_;
};

}  // namespace reef::multimodal

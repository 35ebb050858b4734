#pragma once
// The multimodal collection's CLIP-style model: trained with the symmetric contrastive loss on
// image-text pairs; evaluated in retrieval (recall@1/@5 both ways, per source) and zero-shot
// classification of labelled images from prompts; searched by `reef retrieve`.
#include "backend/collections/multimodal/clip_network.h"
#include "backend/collections/multimodal/image_text_model.h"
#include "backend/engine/core/inference.h"

#include <string>
#include <vector>

namespace reef::multimodal {

class ClipModel : public ImageTextModel, public engine::Embedding {
 public:
  explicit ClipModel(const engine::ModelContext& context);

  torch::nn::Module& module() override { return *network_; }
  torch::Tensor trainingStep(const engine::Batch& batch) override;
  std::unique_ptr<engine::Evaluation> evaluation(engine::Split split) override;

  ClipNetwork& network() { return network_; }
  // Texts tokenized as captions, padded with the pad id: [B, longest] int64 on the CPU.
  torch::Tensor tokenBatch(const std::vector<std::string>& texts) const;
  // Embeddings of texts (tokenized as captions) and images [B, 3, S, S], on the network's device.
  torch::Tensor embedTexts(const std::vector<std::string>& texts);
  torch::Tensor embedImages(const torch::Tensor& images);

  struct Match {
    int64_t item = 0;  // in split(split).items()
    double score = 0;  // cosine similarity
  };
  // The `top` images of `split` most similar to `query`, best first.
  std::vector<Match> search(const std::string& query, engine::Split split, int64_t top);

  // Serving (engine::Embedding).
  int64_t dimensions() const override;
  int64_t tokenCount(const std::string& text) const override;
  torch::Tensor textEmbeddings(const std::vector<std::string>& texts) override;
  torch::Tensor imageEmbeddings(const std::vector<torch::Tensor>& images) override;
  std::string labelPrompt(const std::string& label) const override;
  double similarityScale() const override;

 private:
  ClipNetwork network_{nullptr};
};

}  // namespace reef::multimodal

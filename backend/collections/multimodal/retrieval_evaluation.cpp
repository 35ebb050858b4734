#include "backend/collections/multimodal/retrieval_evaluation.h"

#include "backend/collections/multimodal/clip_model.h"
#include "backend/collections/multimodal/retrieval_metrics.h"

#include <algorithm>
#include <set>

namespace reef::multimodal {

void RetrievalEvaluation::update(const engine::Batch& batch) {
  ClipNetwork& net = model_.network();
  const torch::Tensor images = net->imageEmbeddings(batch.at("image"));
  const torch::Tensor texts = net->textEmbeddings(batch.at("tokens"));
  loss_ += clipLoss(images, texts, batch.at("text_id"), net->scale()).item<double>() * static_cast<double>(batch.size);
  count_ += batch.size;
  const torch::Tensor items = batch.at("item").cpu(), cpu = images.cpu();
  for (int64_t i = 0; i < batch.size; ++i) images_[items[i].item<int64_t>()] = cpu[i];
}

engine::MetricMap RetrievalEvaluation::finish() {
  torch::NoGradGuard noGrad;
  engine::MetricMap m;
  m["loss"] = count_ ? loss_ / static_cast<double>(count_) : 0;
  const auto& items = split_.items();
  auto embedTexts = [&](const std::vector<std::string>& texts) {
    std::vector<torch::Tensor> parts;
    for (size_t from = 0; from < texts.size(); from += 256)
      parts.push_back(model_
                          .embedTexts({texts.begin() + static_cast<std::ptrdiff_t>(from),
                                       texts.begin() + static_cast<std::ptrdiff_t>(std::min(texts.size(), from + 256))})
                          .cpu());
    return torch::cat(parts);
  };
  for (const std::string& source : split_.sources()) {
    std::vector<torch::Tensor> images;
    std::vector<std::string> texts, labels;
    std::vector<int64_t> textOf, labelled;
    for (const auto& [item, embedding] : images_) {
      const ImageTextItem& it = items[static_cast<size_t>(item)];
      if (it.source != source) continue;
      auto found = std::find(texts.begin(), texts.end(), it.text);
      textOf.push_back(found - texts.begin());
      if (found == texts.end()) texts.push_back(it.text);
      if (!it.label.empty()) labelled.push_back(static_cast<int64_t>(images.size()));
      labels.push_back(it.label);
      images.push_back(embedding);
    }
    if (images.empty()) continue;
    const torch::Tensor imageEmbeddings = torch::stack(images);
    const torch::Tensor similarity = imageEmbeddings.matmul(embedTexts(texts).t());
    for (int64_t k : {1, 5}) {
      const Recall r = recallAtK(similarity, textOf, k);
      const std::string at = "_r" + std::to_string(k);
      m[source + "_i2t" + at] = r.imageToText;
      m[source + "_i2t" + at + "_chance"] = r.imageToTextChance;
      m[source + "_t2i" + at] = r.textToImage;
      m[source + "_t2i" + at + "_chance"] = r.textToImageChance;
    }
    if (labelled.empty()) continue;
    const std::set<std::string> classSet(labels.begin(), labels.end());
    std::vector<std::string> classes, prompts;
    for (const auto& c : classSet)
      if (!c.empty()) classes.push_back(c);
    for (const auto& c : classes) prompts.push_back(model_.labelPrompt(c));
    const torch::Tensor predicted = imageEmbeddings.matmul(embedTexts(prompts).t()).argmax(1);
    int64_t right = 0;
    for (int64_t i : labelled)
      right += classes[static_cast<size_t>(predicted[i].item<int64_t>())] == labels[static_cast<size_t>(i)];
    m[source + "_zeroshot_acc"] = static_cast<double>(right) / static_cast<double>(labelled.size());
    m[source + "_zeroshot_chance"] = 1.0 / static_cast<double>(classes.size());
  }
  return m;
}

}  // namespace reef::multimodal

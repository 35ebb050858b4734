#include "backend/collections/multimodal/clip_model.h"

#include "backend/collections/multimodal/image_loading.h"
#include "backend/collections/multimodal/retrieval_evaluation.h"
#include "backend/collections/nlp/nlp_collection.h"

namespace reef::multimodal {

ClipModel::ClipModel(const engine::ModelContext& context) : ImageTextModel(context) {
  const Json& m = context.spec.at("model");
  ClipOptions o;
  o.imageWidth = m.at("image_width").get<int64_t>();
  o.embedDim = m.at("embed_dim").get<int64_t>();
  o.text = nlp::encoderTrunkOptions(m, tokenizer_.vocabSize(), settings_.maxLength);
  o.pad = nlp::padId(tokenizer_);
  network_ = ClipNetwork(o);
}

torch::Tensor ClipModel::trainingStep(const engine::Batch& batch) {
  return clipLoss(network_->imageEmbeddings(batch.at("image")), network_->textEmbeddings(batch.at("tokens")),
                  batch.at("text_id"), network_->scale());
}

std::unique_ptr<engine::Evaluation> ClipModel::evaluation(engine::Split split) {
  return std::make_unique<RetrievalEvaluation>(*this, this->split(split));
}

torch::Tensor ClipModel::tokenBatch(const std::vector<std::string>& texts) const {
  std::vector<std::vector<int>> ids;
  size_t longest = 1;
  for (const auto& text : texts) {
    ids.push_back(nlp::encoderTokens(tokenizer_, text, settings_.maxLength));
    longest = std::max(longest, ids.back().size());
  }
  torch::Tensor tokens = torch::full({static_cast<int64_t>(texts.size()), static_cast<int64_t>(longest)},
                                     nlp::padId(tokenizer_), torch::kInt64);
  for (size_t i = 0; i < ids.size(); ++i)
    for (size_t j = 0; j < ids[i].size(); ++j) tokens[static_cast<int64_t>(i)][static_cast<int64_t>(j)] = ids[i][j];
  return tokens;
}

torch::Tensor ClipModel::embedTexts(const std::vector<std::string>& texts) {
  return network_->textEmbeddings(tokenBatch(texts).to(device()));
}

torch::Tensor ClipModel::embedImages(const torch::Tensor& images) {
  return network_->imageEmbeddings(images.to(device()));
}

std::vector<ClipModel::Match> ClipModel::search(const std::string& query, engine::Split which, int64_t top) {
  torch::NoGradGuard noGrad;
  network_->eval();
  const ImageTextSplit& s = split(which);
  const torch::Tensor text = embedTexts({query});
  std::vector<torch::Tensor> scores;
  const auto n = static_cast<int64_t>(s.items().size());
  for (int64_t from = 0; from < n; from += 256) {
    std::vector<int64_t> items;
    for (int64_t i = from; i < std::min(n, from + 256); ++i) items.push_back(i);
    // The split's batches count repeated items in training order; images are read by item here.
    std::vector<torch::Tensor> images;
    for (int64_t i : items) images.push_back(s.image(i));
    scores.push_back(embedImages(torch::stack(images)).matmul(text.t()).squeeze(1).cpu());
  }
  const torch::Tensor all = torch::cat(scores);
  const auto [values, order] = all.topk(std::min(top, n));
  std::vector<Match> out;
  for (int64_t i = 0; i < order.size(0); ++i) out.push_back({order[i].item<int64_t>(), values[i].item<double>()});
  return out;
}

int64_t ClipModel::dimensions() const { return network_->text_projection->options.out_features(); }

int64_t ClipModel::tokenCount(const std::string& text) const {
  return static_cast<int64_t>(nlp::encoderTokens(tokenizer_, text, settings_.maxLength).size());
}

torch::Tensor ClipModel::textEmbeddings(const std::vector<std::string>& texts) {
  torch::NoGradGuard noGrad;
  network_->eval();
  return embedTexts(texts).cpu();
}

torch::Tensor ClipModel::imageEmbeddings(const std::vector<torch::Tensor>& images) {
  torch::NoGradGuard noGrad;
  network_->eval();
  std::vector<torch::Tensor> fitted;
  for (const auto& image : images) fitted.push_back(fitImage(image, settings_.imageSize));
  return embedImages(torch::stack(fitted)).cpu();
}

std::string ClipModel::labelPrompt(const std::string& label) const {
  std::string prompt = settings_.zeroShotPrompt;
  const auto hole = prompt.find("{}");
  return hole == std::string::npos ? prompt + " " + label : prompt.replace(hole, 2, label);
}

double ClipModel::similarityScale() const { return network_->scale().item<double>(); }

}  // namespace reef::multimodal

#include "backend/collections/multimodal/captioner_model.h"

#include "backend/collections/common/run_weights.h"
#include "backend/collections/llm/causal_lm.h"
#include "backend/collections/multimodal/caption_evaluation.h"
#include "backend/collections/multimodal/image_loading.h"
#include "backend/engine/core/tensor_io.h"

namespace fs = std::filesystem;

namespace reef::multimodal {

CaptionerModel::CaptionerModel(const engine::ModelContext& context) : ImageTextModel(context) {
  const Json& m = context.spec.at("model");
  const llm::LlamaConfig decoder = llm::CausalLM::configFromSpec(context.spec, tokenizer_.vocabSize());
  const int64_t imageTokens = (settings_.imageSize / 8) * (settings_.imageSize / 8);
  if (decoder.maxContext < imageTokens + settings_.maxLength + 1)
    throw std::runtime_error("model.max_context " + std::to_string(decoder.maxContext) + " cannot hold " +
                             std::to_string(imageTokens) + " image tokens, BOS and data.max_length " +
                             std::to_string(settings_.maxLength) + " caption tokens: raise it to at least " +
                             std::to_string(imageTokens + settings_.maxLength + 1));
  if (nlp::padId(tokenizer_) == tokenizer_.eos())
    throw std::runtime_error(
        "the tokenizer '" + settings_.tokenizer.string() +
        "' pads with its end-of-text id, so a captioner "
        "could never learn where a caption ends: train one with `reef tokenizer train` (pad id 3)");
  network_ = CaptionerNetwork(m.at("image_width").get<int64_t>(), decoder);
  encoderFrom_ = m.at("image_encoder_from").get<std::string>();
  freezeEncoder_ = m.at("freeze_image_encoder").get<bool>();
  if (freezeEncoder_ && encoderFrom_.empty())
    throw std::runtime_error(
        "model.freeze_image_encoder needs model.image_encoder_from (a trained multimodal/clip run): "
        "a frozen encoder that was never trained sees nothing");
  if (freezeEncoder_)
    for (auto& p : network_->vision_tower->parameters()) p.set_requires_grad(false);
}

void CaptionerModel::loadImageEncoder() {
  const fs::path file = collections::trainedWeights(encoderFrom_, "model.image_encoder_from");
  std::map<std::string, torch::Tensor> encoder;
  const std::string prefix = "image_encoder.";
  for (auto& [name, tensor] : engine::loadTensors(file))
    if (name.rfind(prefix, 0) == 0) encoder[name.substr(prefix.size())] = tensor;
  if (encoder.empty())
    throw std::runtime_error("model.image_encoder_from: '" + file.string() +
                             "' holds no image_encoder.* tensors (not a "
                             "multimodal/clip checkpoint)");
  engine::loadModuleState(*network_->vision_tower, encoder,
                          file.string() + " (its image encoder; model.image_width must match the CLIP run's)");
}

std::shared_ptr<engine::Dataset> CaptionerModel::dataset(engine::Split split) {
  // Training starts from the CLIP encoder; a resumed run's checkpoint is restored after this.
  if (split == engine::Split::Train && !encoderFrom_.empty() && !encoderLoaded_) {
    loadImageEncoder();
    encoderLoaded_ = true;
  }
  return ImageTextModel::dataset(split);
}

torch::Tensor CaptionerModel::captionLoss(const torch::Tensor& images, const torch::Tensor& tokens,
                                          const torch::Tensor& length) {
  const int64_t b = tokens.size(0), pad = nlp::padId(tokenizer_);
  const torch::Tensor bos = torch::full({b, 1}, tokenizer_.bos(), tokens.options());
  const torch::Tensor input = torch::cat({bos, tokens}, 1);
  // Targets: the caption, then EOS at its end; padding beyond is ignored.
  torch::Tensor targets = torch::cat({tokens, torch::full({b, 1}, pad, tokens.options())}, 1);
  targets.scatter_(1, length.unsqueeze(1), tokenizer_.eos());
  const torch::Tensor logits = network_->logits(images, input);
  return torch::nn::functional::cross_entropy(logits.reshape({-1, logits.size(-1)}), targets.reshape({-1}),
                                              torch::nn::functional::CrossEntropyFuncOptions().ignore_index(pad));
}

torch::Tensor CaptionerModel::trainingStep(const engine::Batch& batch) {
  // A frozen encoder keeps its batch-norm statistics: it runs as in inference.
  if (freezeEncoder_) network_->vision_tower->eval();
  return captionLoss(batch.at("image"), batch.at("tokens"), batch.at("length"));
}

std::unique_ptr<engine::Evaluation> CaptionerModel::evaluation(engine::Split split) {
  return std::make_unique<CaptionEvaluation>(*this, this->split(split));
}

std::vector<std::string> CaptionerModel::caption(const torch::Tensor& pictures) {
  torch::NoGradGuard noGrad;
  const torch::Tensor images = pictures.to(device());
  const int64_t b = images.size(0), maxNew = settings_.maxLength + 1;
  llm::LlamaForCausalLM& lm = network_->language_model;
  const torch::Tensor prefix = network_->imagePrefix(images);
  const torch::Tensor bos = lm->model->embed_tokens.forward(
      torch::full({b, 1}, tokenizer_.bos(), torch::TensorOptions(torch::kInt64).device(images.device())));
  llm::KvCache cache = lm->newCache(b, prefix.size(1) + 1 + maxNew, prefix.options());
  torch::Tensor next = lm->forwardEmbedded(torch::cat({prefix, bos}, 1), &cache).select(1, -1).argmax(-1);
  std::vector<std::vector<int>> ids(static_cast<size_t>(b));
  std::vector<bool> done(static_cast<size_t>(b), false);
  // At most max_length tokens, as in training; the step after them may only say EOS.
  for (int64_t step = 0; step < maxNew; ++step) {
    const torch::Tensor cpu = next.cpu();
    bool all = true;
    for (int64_t i = 0; i < b; ++i) {
      const int id = static_cast<int>(cpu[i].item<int64_t>());
      if (id == tokenizer_.eos() || step + 1 == maxNew) done[static_cast<size_t>(i)] = true;
      if (!done[static_cast<size_t>(i)]) ids[static_cast<size_t>(i)].push_back(id);
      all = all && done[static_cast<size_t>(i)];
    }
    if (all || step + 1 == maxNew) break;
    next = lm->forward(next.unsqueeze(1), &cache).select(1, -1).argmax(-1);
  }
  std::vector<std::string> out;
  for (const auto& caption : ids) out.push_back(tokenizer_.decode(caption));
  return out;
}

std::vector<std::string> CaptionerModel::captions(const std::vector<torch::Tensor>& images) {
  network_->eval();
  std::vector<torch::Tensor> fitted;
  for (const auto& image : images) fitted.push_back(fitImage(image, settings_.imageSize));
  return caption(torch::stack(fitted));
}

// The image encoder's feature map is an eighth of the image's side (clip_network.h).
int64_t CaptionerModel::imageTokens() const { return (settings_.imageSize / 8) * (settings_.imageSize / 8); }

int64_t CaptionerModel::captionTokens(const std::string& caption) const {
  return static_cast<int64_t>(tokenizer_.encode(caption).size()) + 1;  // and EOS
}

}  // namespace reef::multimodal

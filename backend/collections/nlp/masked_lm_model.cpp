#include "backend/collections/nlp/masked_lm_model.h"

#include "backend/collections/nlp/nlp_collection.h"
#include "backend/collections/nlp/nlp_files.h"

#include <cmath>

namespace reef::nlp {

namespace {

// Every evaluation masks the same pieces, so that validation losses compare across steps.
constexpr uint64_t kEvaluationSeed = 20261204;

class MaskedLmEvaluation : public engine::Evaluation {
 public:
  explicit MaskedLmEvaluation(MaskedLanguageModel& model)
      : model_(model), generator_(at::detail::createCPUGenerator(kEvaluationSeed)) {}

  void update(const engine::Batch& batch) override {
    auto [loss, correct, masked] = model_.maskedLoss(batch, generator_);
    loss_ += loss.item<double>() * static_cast<double>(masked);
    correct_ += correct;
    masked_ += masked;
  }

  engine::MetricMap finish() override {
    const double loss = masked_ ? loss_ / static_cast<double>(masked_) : 0.0;
    return {{"loss", loss},
            {"acc", masked_ ? static_cast<double>(correct_) / static_cast<double>(masked_) : 0.0},
            {"perplexity", std::exp(loss)}};
  }

 private:
  MaskedLanguageModel& model_;
  at::Generator generator_;
  double loss_ = 0;
  int64_t correct_ = 0, masked_ = 0;
};

std::vector<std::filesystem::path> fileList(const std::filesystem::path& root, const std::string& list) {
  std::vector<std::filesystem::path> files;
  for (const std::string& item : commaList(list)) files.push_back(underDataRoot(root, item));
  if (files.empty()) throw std::runtime_error("data.dataset names no file to pretrain on");
  return files;
}

}  // namespace

MaskedLmNet::MaskedLmNet(const EncoderTrunkOptions& trunk, int64_t pad) : trunk_(*this, trunk), pad_(pad) {
  transform_ = register_module("mlm_transform", torch::nn::Linear(trunk.dim, trunk.dim));
  norm_ = register_module("mlm_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({trunk.dim})));
  bias_ = register_parameter("mlm_bias", torch::zeros({trunk.vocab}));
}

torch::Tensor MaskedLmNet::forward(const torch::Tensor& tokens, const torch::Tensor& at) {
  const torch::Tensor features = trunk_.encode(tokens, tokens == pad_, is_training()).index({at});
  const torch::Tensor h = norm_->forward(torch::gelu(transform_->forward(features)));
  // The trunk's embeddings are N(0, 1): scaled by 1/sqrt(dim), the first logits have unit size.
  return torch::nn::functional::linear(h, trunk_.embedding(), bias_) * (1.0 / std::sqrt(double(h.size(-1))));
}

MaskedTokens maskWholeWords(const torch::Tensor& tokens, const torch::Tensor& wordStart, int64_t pad, int64_t mask,
                            int64_t vocab, double probability, c10::optional<at::Generator> generator) {
  const auto cpu = torch::TensorOptions().device(torch::kCPU);
  const auto draw = [&](at::IntArrayRef sizes) { return torch::rand(sizes, generator, cpu).to(tokens.device()); };
  // A word is chosen by the draw at its first piece; every piece carries its word's number.
  const torch::Tensor words = wordStart.to(torch::kInt64).cumsum(1);
  const torch::Tensor drawn = (wordStart & draw(tokens.sizes()).lt(probability)).to(torch::kInt64);
  const torch::Tensor chosenWord =
      torch::zeros({tokens.size(0), tokens.size(1) + 1}, words.options()).scatter_add(1, words, drawn);
  const torch::Tensor chosen = chosenWord.gather(1, words).gt(0) & words.gt(0) & tokens.ne(pad);
  const torch::Tensor how = draw(tokens.sizes());
  const torch::Tensor random =
      torch::randint(int64_t{4}, vocab, tokens.sizes(), generator, cpu.dtype(torch::kInt64)).to(tokens.device());
  torch::Tensor inputs = torch::where(chosen & how.lt(0.8), torch::full_like(tokens, mask), tokens);
  inputs = torch::where(chosen & how.ge(0.8) & how.lt(0.9), random, inputs);
  return {inputs, torch::where(chosen, tokens, torch::full_like(tokens, -100))};
}

MaskedLanguageModel::MaskedLanguageModel(const engine::ModelContext& context) {
  const Json& d = context.spec.at("data");
  const Json& m = context.spec.at("model");
  corpus_ = {fileList(context.dataRoot, d.at("dataset").get<std::string>()), d.at("text_field").get<std::string>(),
             m.at("plain_fraction").get<double>(), d.at("max_length").get<int64_t>()};
  const std::filesystem::path tokenizer = underDataRoot(context.dataRoot, d.at("tokenizer").get<std::string>());
  tokenizer_ = loadTokenizer(tokenizer);
  tokenizerAsset_ = std::filesystem::relative(tokenizer, context.dataRoot);
  probability_ = m.at("mask_probability").get<double>();
  net_ = std::make_shared<MaskedLmNet>(encoderTrunkOptions(m, tokenizer_.vocabSize(), corpus_.maxLength),
                                       padId(tokenizer_));
}

MaskedLmData& MaskedLanguageModel::data() {
  if (!data_) data_ = loadMaskedLmData(corpus_, tokenizer_);
  return *data_;
}

std::shared_ptr<engine::Dataset> MaskedLanguageModel::dataset(engine::Split split) { return splitOf(data(), split); }

std::tuple<torch::Tensor, int64_t, int64_t> MaskedLanguageModel::maskedLoss(const engine::Batch& batch,
                                                                            c10::optional<at::Generator> generator) {
  const torch::Tensor tokens = batch.at("tokens");
  const MaskedTokens m = maskWholeWords(tokens, batch.at("word_start").to(tokens.device()), padId(tokenizer_),
                                        tokenizer_.unk(), tokenizer_.vocabSize(), probability_, generator);
  const torch::Tensor at = m.targets.ne(-100);
  const int64_t masked = at.sum().item<int64_t>();
  if (masked == 0) return {(net_->forward(m.inputs, at).sum()), 0, 0};  // nothing drawn: no gradient
  const torch::Tensor logits = net_->forward(m.inputs, at);
  const torch::Tensor targets = m.targets.index({at});
  const int64_t correct = logits.argmax(-1).eq(targets).sum().item<int64_t>();
  return {torch::nn::functional::cross_entropy(logits.to(torch::kFloat32), targets), correct, masked};
}

torch::Tensor MaskedLanguageModel::trainingStep(const engine::Batch& batch) {
  return std::get<0>(maskedLoss(batch, c10::nullopt));
}

std::unique_ptr<engine::Evaluation> MaskedLanguageModel::evaluation(engine::Split) {
  return std::make_unique<MaskedLmEvaluation>(*this);
}

}  // namespace reef::nlp

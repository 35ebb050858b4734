#include "backend/collections/llm/causal_lm.h"

#include "backend/collections/llm/batched_generation.h"
#include "backend/collections/llm/generation.h"
#include "backend/protocol/subprocess.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::llm {

namespace {

// Loss, perplexity and bits per byte over the counted targets. Fine-tuning batches carry their
// output bytes; pretraining windows use the held-out split's bytes per token.
class LanguageModelEvaluation : public engine::Evaluation {
 public:
  LanguageModelEvaluation(LlamaForCausalLM net, double bytesPerToken, double xzBitsPerByte)
      : net_(std::move(net)), bytesPerToken_(bytesPerToken), xz_(xzBitsPerByte) {}

  void update(const engine::Batch& batch) override {
    const torch::Tensor nats = net_->nextTokenNats(batch.at("tokens"));
    if (batch.fields.count("loss_mask")) {
      const torch::Tensor mask = batch.at("loss_mask");
      nats_ += (nats * mask).sum().item<double>();
      count_ += mask.sum().item<double>();
      bytes_ += batch.at("bytes").sum().item<double>();
    } else {
      nats_ += nats.sum().item<double>();
      count_ += static_cast<double>(nats.numel());
      bytes_ += static_cast<double>(nats.numel()) * bytesPerToken_;
    }
  }

  engine::MetricMap finish() override {
    const double loss = count_ > 0 ? nats_ / count_ : NAN;
    engine::MetricMap m = {{"loss", loss}, {"ppl", std::exp(loss)}, {"bpb", nats_ / std::log(2.0) / bytes_}};
    if (std::isfinite(xz_)) m["xz_bpb"] = xz_;
    return m;
  }

 private:
  LlamaForCausalLM net_;
  double bytesPerToken_, xz_;
  double nats_ = 0, count_ = 0, bytes_ = 0;
};

}  // namespace

LlamaConfig CausalLM::configFromSpec(const Json& spec, int64_t vocab) {
  const Json& m = spec.at("model");
  LlamaConfig c;
  c.vocab = vocab;
  c.dim = m.at("dim").get<int64_t>();
  c.layers = m.at("layers").get<int64_t>();
  c.heads = m.at("heads").get<int64_t>();
  c.kvHeads = m.at("kv_heads").get<int64_t>();
  if (c.kvHeads == 0) c.kvHeads = c.heads;
  c.ffnHidden = m.at("ffn_hidden").get<int64_t>();
  c.maxContext = m.at("max_context").get<int64_t>();
  c.ropeTheta = m.at("rope_theta").get<double>();
  c.normEps = m.at("norm_eps").get<double>();
  c.tieEmbeddings = m.at("tie_embeddings").get<bool>();
  if (m.contains("experts")) {
    c.experts = m.at("experts").get<int64_t>();
    c.topK = m.at("top_k").get<int64_t>();
    c.capacityFactor = m.at("capacity_factor").get<double>();
  }
  return c;
}

CausalLM::CausalLM(const engine::ModelContext& context) {
  const Json& data = context.spec.at("data");
  dataset_ = data.at("dataset").get<std::string>();
  folder_ = context.dataRoot / "llm" / dataset_;
  if (!fs::exists(folder_ / "tokenizer.model"))
    throw std::runtime_error("token shards '" + folder_.string() +
                             "' are not prepared: run scripts/prepare-data.sh (for kjv) or `reef data prepare-text`");
  tokenizer_ = text::Tokenizer::load(folder_ / "tokenizer.model");
  context_ = data.at("context").get<int64_t>();
  config_ = configFromSpec(context.spec, tokenizer_.vocabSize());
  config_.tensorParallel = context.tensorParallel;
  config_.expertParallel = context.expertParallel;
  if (config_.epSize() > 1 && config_.experts % config_.epSize() != 0)
    throw std::runtime_error("model.experts (" + std::to_string(config_.experts) +
                             ") must be divisible by trainer.expert_parallel (" + std::to_string(config_.epSize()) +
                             ")");
  if (context_ > config_.maxContext)
    throw std::runtime_error("data.context (" + std::to_string(context_) + ") exceeds model.max_context (" +
                             std::to_string(config_.maxContext) + ")");
  const Json& m = context.spec.at("model");
  auxCoefficient_ = m.contains("aux_loss_coef") ? m.at("aux_loss_coef").get<double>() : 0.0;
  net_ = LlamaForCausalLM(config_);
  if (const auto sft = data.at("sft").get<std::string>(); !sft.empty()) {
    sftFile_ = fs::path(sft).is_absolute() ? fs::path(sft) : context.dataRoot / sft;
    xz_ = NAN;  // xz's figure describes the pretraining text, not the fine-tuning outputs
  }
  engine::LoraSettings lora;
  lora.rank = m.at("lora_rank").get<int64_t>();
  lora.alpha = m.at("lora_alpha").get<double>();
  lora.targets = engine::parseTargetList(m.at("lora_targets").get<std::string>());
  if (lora.rank > 0 && config_.tpSize() > 1)
    throw std::runtime_error(
        "LoRA adapters are not split across tensor-parallel ranks: set trainer.tensor_parallel: 1 "
        "(fine-tuning with adapters fits one process) or model.lora_rank: 0");
  engine::attachLora(*net_, lora);
}

void CausalLM::openData() {
  if (!sftFile_.empty()) {
    if (!sft_) sft_ = loadSftExamples(sftFile_, tokenizer_, context_);
    return;
  }
  if (train_) return;
  if (!fs::exists(folder_ / "meta.json"))
    throw std::runtime_error("token shards '" + folder_.string() +
                             "' are not prepared: run scripts/prepare-data.sh (for kjv) or `reef data prepare-text`"
                             " (a bundle carries the tokenizer, not the datasets)");
  train_ = std::make_shared<text::TokenShard>(text::TokenShard::open(folder_, "train"));
  val_ = std::make_shared<text::TokenShard>(text::TokenShard::open(folder_, "val"));
  const Json& meta = train_->meta();
  if (meta.at("vocab_size").get<int64_t>() != config_.vocab)
    throw std::runtime_error("the token shards in '" + folder_.string() +
                             "' were made with another tokenizer (vocabulary " +
                             std::to_string(meta.at("vocab_size").get<int64_t>()) + ", the model's " +
                             std::to_string(config_.vocab) + "): prepare them again");
  bytesPerToken_ = meta.at("val_bytes").get<double>() / meta.at("val_tokens").get<double>();
}

int64_t CausalLM::promptLength(const std::string& prompt) const {
  return static_cast<int64_t>(tokenizer_.encode(prompt).size()) + 1;
}

engine::GenerationResult CausalLM::generateText(const std::string& prompt, const engine::SamplingOptions& options,
                                                const engine::TokenCallback& onText) {
  return generate(net_, tokenizer_, prompt, options, onText);
}

std::unique_ptr<engine::GenerationBatch> CausalLM::newBatch(const engine::BatchLimits& limits) {
  net_->eval();
  return std::make_unique<BatchedGeneration>(net_, tokenizer_, limits);
}

std::optional<std::vector<fs::path>> CausalLM::inferenceAssets() const {
  return std::vector<fs::path>{fs::path("llm") / dataset_ / "tokenizer.model"};
}

std::shared_ptr<engine::Dataset> CausalLM::dataset(engine::Split split) {
  openData();
  if (sft_) {
    if (split == engine::Split::Test) return nullptr;
    return std::make_shared<SftDataset>(split == engine::Split::Train ? sft_->train : sft_->val, context_,
                                        tokenizer_.eos());
  }
  switch (split) {
    case engine::Split::Train:
      return std::make_shared<LmDataset>(train_, context_);
    case engine::Split::Val:
      return std::make_shared<LmDataset>(val_, context_);
    case engine::Split::Test:
      return nullptr;  // the held-out split is the validation split
  }
  return nullptr;
}

torch::Tensor CausalLM::trainingStep(const engine::Batch& batch) {
  const torch::Tensor nats = net_->nextTokenNats(batch.at("tokens"));
  torch::Tensor loss;
  if (batch.fields.count("loss_mask")) {
    const torch::Tensor mask = batch.at("loss_mask");
    loss = (nats * mask).sum() / mask.sum().clamp_min(1);
  } else {
    loss = nats.mean();
  }
  if (auxCoefficient_ > 0) {
    const torch::Tensor aux = net_->auxLoss();
    // Under expert parallelism the balance loss is the group's (the same value on each of its
    // ranks) and a rank's gradient of it reaches only its own tokens; data parallelism averages
    // the ranks' gradients, so the gradient is scaled by the group size, the value is not.
    const double ranks = static_cast<double>(config_.epSize());
    if (aux.defined()) loss = loss + auxCoefficient_ * (ranks > 1 ? aux * ranks - aux.detach() * (ranks - 1) : aux);
  }
  return loss;
}

std::unique_ptr<engine::Evaluation> CausalLM::evaluation(engine::Split) {
  openData();
  return std::make_unique<LanguageModelEvaluation>(net_, bytesPerToken_, xzBitsPerByte());
}

std::vector<engine::FullyShardedUnit*> CausalLM::shardFully(const std::shared_ptr<engine::ProcessGroup>& group) {
  if (config_.tpSize() > 1)
    throw std::runtime_error("trainer.strategy fsdp with trainer.tensor_parallel > 1 is not supported: choose one");
  for (const auto& p : net_->parameters())
    if (!p.requires_grad())
      throw std::runtime_error(
          "FSDP shards whole layers, and LoRA freezes most of them: fine-tune with adapters on "
          "trainer.strategy: ddp (the base is small enough to replicate)");
  return net_->model->shardLayers(group);
}

double CausalLM::trainingFlopsPerToken() const { return config_.trainingFlopsPerToken(context_); }

double CausalLM::xzBitsPerByte() {
  if (xz_) return *xz_;
  const fs::path text = folder_ / "val.txt";
  std::error_code ec;
  const auto raw = static_cast<double>(fs::file_size(text, ec));
  double compressed = 0;
  if (!ec && raw > 0) {
    if (const auto xz = protocol::programOutput({"xz", "-9", "-c", "--", text.string()}))
      compressed = static_cast<double>(xz->size());
  }
  xz_ = compressed > 0 ? 8.0 * compressed / raw : NAN;
  return *xz_;
}

}  // namespace reef::llm

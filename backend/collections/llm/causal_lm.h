#pragma once
// The LLM collection's model: a Llama-style decoder trained on token shards with next-token
// cross-entropy (plus the balance loss of the Mixtral variant), or fine-tuned on input/output
// pairs with the loss masked to the outputs, optionally through LoRA adapters; evaluated in loss,
// perplexity and bits per byte, beside what `xz -9` achieves on the same held-out text.
#include "backend/collections/llm/llama.h"
#include "backend/collections/llm/lm_dataset.h"
#include "backend/collections/llm/sft_dataset.h"
#include "backend/collections/text/tokenizer.h"
#include "backend/engine/core/inference.h"
#include "backend/engine/core/model.h"

#include <filesystem>
#include <memory>
#include <optional>

namespace reef::llm {

class CausalLM : public engine::Model, public engine::TextGeneration {
 public:
  explicit CausalLM(const engine::ModelContext& context);

  torch::nn::Module& module() override { return *net_; }
  std::shared_ptr<engine::Dataset> dataset(engine::Split split) override;
  torch::Tensor trainingStep(const engine::Batch& batch) override;
  std::unique_ptr<engine::Evaluation> evaluation(engine::Split split) override;
  double trainingFlopsPerToken() const override;
  bool supportsTensorParallel() const override { return true; }
  bool supportsExpertParallel() const override { return config_.experts > 0; }
  std::vector<engine::FullyShardedUnit*> shardFully(const std::shared_ptr<engine::ProcessGroup>& group) override;
  std::optional<std::vector<std::filesystem::path>> inferenceAssets() const override;

  // Serving mode chat.
  int64_t contextLength() const override { return config_.maxContext; }
  int64_t promptLength(const std::string& prompt) const override;
  engine::GenerationResult generateText(const std::string& prompt, const engine::SamplingOptions& options,
                                        const engine::TokenCallback& onText) override;
  std::unique_ptr<engine::GenerationBatch> newBatch(const engine::BatchLimits& limits) override;

  LlamaForCausalLM& network() { return net_; }
  const text::Tokenizer& tokenizer() const { return tokenizer_; }
  // Bits per byte of `xz -9` on the held-out text (computed once; NaN when xz is missing).
  double xzBitsPerByte();

  static LlamaConfig configFromSpec(const Json& spec, int64_t vocab);

 private:
  // The token shards (or the fine-tuning examples), opened on first use: generation needs only
  // the tokenizer.
  void openData();
  std::string dataset_;
  std::filesystem::path sftFile_;
  std::filesystem::path folder_;
  std::shared_ptr<const text::TokenShard> train_, val_;
  text::Tokenizer tokenizer_;
  LlamaConfig config_;
  LlamaForCausalLM net_{nullptr};
  int64_t context_;
  double auxCoefficient_;
  double bytesPerToken_ = NAN;  // of the held-out split
  std::optional<double> xz_;
  std::optional<SftExamples> sft_;  // data.sft: fine-tuning examples instead of token shards
};

}  // namespace reef::llm

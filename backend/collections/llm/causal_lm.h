#pragma once
// The LLM collection's model: a Llama-style decoder trained on token shards with next-token
// cross-entropy (plus the balance loss of the Mixtral variant), or fine-tuned on input/output
// pairs with the loss masked to the outputs, optionally through LoRA adapters; evaluated in loss,
// perplexity and bits per byte, beside what `xz -9` achieves on the same held-out text.
#include "core/model.h"
#include "llm/llama.h"
#include "llm/lm_dataset.h"
#include "llm/sft_dataset.h"
#include "llm/tokenizer.h"

#include <filesystem>
#include <memory>
#include <optional>

namespace reef::llm {

class CausalLM : public engine::Model {
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

  LlamaForCausalLM& network() { return net_; }
  const Tokenizer& tokenizer() const { return tokenizer_; }
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
  std::shared_ptr<const TokenShard> train_, val_;
  Tokenizer tokenizer_;
  LlamaConfig config_;
  LlamaForCausalLM net_{nullptr};
  int64_t context_;
  double auxCoefficient_;
  double bytesPerToken_ = NAN;  // of the held-out split
  std::optional<double> xz_;
  std::optional<SftExamples> sft_;  // data.sft: fine-tuning examples instead of token shards
};

}  // namespace reef::llm

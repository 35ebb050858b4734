#pragma once
// Continuous batching over a Llama decoder (engine::GenerationBatch): a sequence's prompt runs
// alone when it joins, then every step feeds each running sequence's last token in one model call
// [sequences, 1], each row attending to its own blocks of a PagedKvCache and sampled by its own
// SequenceDecoder.
#include "backend/collections/llm/llama.h"
#include "backend/collections/llm/paged_kv_cache.h"
#include "backend/collections/llm/sequence_decoder.h"
#include "backend/collections/text/tokenizer.h"
#include "backend/engine/core/inference.h"

#include <memory>
#include <vector>

namespace reef::llm {

class BatchedGeneration final : public engine::GenerationBatch {
 public:
  static constexpr int64_t kBlockTokens = 16;

  // Throws when `limits` cannot hold one sequence that fills the model's context.
  BatchedGeneration(LlamaForCausalLM net, const text::Tokenizer& tokenizer, const engine::BatchLimits& limits);

  bool add(uint64_t id, const std::string& prompt, const engine::SamplingOptions& options,
           engine::TokenCallback onText) override;
  std::vector<Finished> step() override;
  size_t running() const override { return running_.size(); }
  int64_t freeCacheTokens() const { return cache_.freeBlocks() * cache_.blockSize(); }

 private:
  struct Sequence {
    uint64_t id;
    std::unique_ptr<SequenceDecoder> decoder;
    int64_t cached = 0;  // tokens whose keys and values are in the cache
  };
  // Next-token logits [rows, vocab] as float64 on the host.
  torch::Tensor forward(const std::vector<PagedKvCache::Row>& rows, const std::vector<int64_t>& ids);
  void retire(Sequence& sequence);

  LlamaForCausalLM net_;
  torch::Device device_;
  const text::Tokenizer& tokenizer_;
  engine::BatchLimits limits_;
  PagedKvCache cache_;
  std::vector<Sequence> running_;
  std::vector<Finished> finished_;
};

}  // namespace reef::llm

#pragma once
// Training windows over token shards: sample i is tokens [i * context, i * context + context]
// (context + 1 tokens: inputs and the next-token targets). Batches hold "tokens" [B, context + 1].
#include "backend/collections/text/token_shards.h"
#include "backend/engine/core/dataset.h"

#include <memory>

namespace reef::llm {

class LmDataset : public engine::Dataset {
 public:
  LmDataset(std::shared_ptr<const text::TokenShard> shard, int64_t context);
  int64_t size() const override { return windows_; }
  engine::Batch get(const std::vector<int64_t>& indices) const override;
  int64_t context() const { return context_; }

 private:
  std::shared_ptr<const text::TokenShard> shard_;
  int64_t context_, windows_;
};

}  // namespace reef::llm

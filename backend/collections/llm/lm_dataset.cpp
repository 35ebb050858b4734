#include "backend/collections/llm/lm_dataset.h"

#include <stdexcept>

namespace reef::llm {

LmDataset::LmDataset(std::shared_ptr<const text::TokenShard> shard, int64_t context)
    : shard_(std::move(shard)), context_(context), windows_(shard_->size() > 1 ? (shard_->size() - 1) / context : 0) {
  if (windows_ == 0)
    throw std::runtime_error("the token shard holds " + std::to_string(shard_->size()) +
                             " tokens, not one window of data.context = " + std::to_string(context) + " + 1");
}

engine::Batch LmDataset::get(const std::vector<int64_t>& indices) const {
  const auto n = static_cast<int64_t>(indices.size());
  torch::Tensor tokens = torch::empty({n, context_ + 1}, torch::kInt64);
  int64_t* out = tokens.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t w = indices[static_cast<size_t>(i)];
    if (w < 0 || w >= windows_) throw std::out_of_range("language-model window out of range");
    shard_->read(w * context_, context_ + 1, out + i * (context_ + 1));
  }
  engine::Batch batch;
  batch.fields["tokens"] = tokens;
  batch.size = n;
  batch.tokens = n * context_;
  return batch;
}

}  // namespace reef::llm

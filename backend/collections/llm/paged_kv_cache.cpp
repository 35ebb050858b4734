#include "backend/collections/llm/paged_kv_cache.h"

#include "backend/collections/llm/paged_attention.h"
#include "backend/engine/core/cpu_kernels.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace reef::llm {

PagedKvCache::PagedKvCache(int64_t layers, int64_t kvHeads, int64_t headDim, int64_t blocks, int64_t blockSize,
                           const torch::TensorOptions& options)
    : blocks_(blocks), blockSize_(blockSize) {
  if (blocks <= 0 || blockSize <= 0) throw std::invalid_argument("a paged KV cache needs blocks of at least one token");
  for (int64_t l = 0; l < layers; ++l) {
    keys_.push_back(torch::zeros({kvHeads, blocks * blockSize, headDim}, options));
    values_.push_back(torch::zeros({kvHeads, blocks * blockSize, headDim}, options));
  }
  // Handed out from the back: the lowest blocks first.
  for (int64_t b = blocks - 1; b >= 0; --b) free_.push_back(static_cast<int32_t>(b));
}

bool PagedKvCache::reserve(uint64_t sequence, int64_t tokens) {
  std::vector<int32_t>& held = held_[sequence];
  const int64_t more = blocksFor(tokens) - static_cast<int64_t>(held.size());
  if (more > freeBlocks()) {
    if (held.empty()) held_.erase(sequence);
    return false;
  }
  for (int64_t i = 0; i < more; ++i) {
    held.push_back(free_.back());
    free_.pop_back();
  }
  return true;
}

void PagedKvCache::release(uint64_t sequence) {
  const auto it = held_.find(sequence);
  if (it == held_.end()) return;
  free_.insert(free_.end(), it->second.rbegin(), it->second.rend());
  held_.erase(it);
}

void PagedKvCache::plan(const std::vector<Row>& rows) {
  const auto b = static_cast<int64_t>(rows.size());
  const int64_t t = rows.empty() ? 0 : rows.front().fresh;
  int64_t longest = 0;
  for (const Row& r : rows) longest = std::max(longest, r.cached + r.fresh);
  std::vector<int64_t> write, read(static_cast<size_t>(b * longest), 0), positions, lengths;
  std::vector<float> mask(static_cast<size_t>(b * t * longest), -std::numeric_limits<float>::infinity());
  for (int64_t i = 0; i < b; ++i) {
    const Row& r = rows[static_cast<size_t>(i)];
    const auto it = held_.find(r.sequence);
    if (it == held_.end() || r.fresh != t || r.cached + r.fresh > static_cast<int64_t>(it->second.size()) * blockSize_)
      throw std::logic_error("a paged KV cache step runs past the blocks of sequence " + std::to_string(r.sequence));
    const std::vector<int32_t>& blocks = it->second;
    lengths.push_back(r.cached + r.fresh);
    for (int64_t p = 0; p < r.cached + r.fresh; ++p)
      read[static_cast<size_t>(i * longest + p)] =
          blocks[static_cast<size_t>(p / blockSize_)] * blockSize_ + p % blockSize_;
    for (int64_t q = 0; q < t; ++q) {
      const int64_t position = r.cached + q;
      write.push_back(read[static_cast<size_t>(i * longest + position)]);
      positions.push_back(position);
      std::fill_n(mask.begin() + (i * t + q) * longest, position + 1, 0.0f);
    }
  }
  const torch::Device device = keys_.front().device();
  writeSlots_ = torch::tensor(write, torch::kInt64).to(device);
  readSlots_ = torch::tensor(read, torch::kInt64).to(device);
  hostReadSlots_ = std::move(read);
  lengths_ = std::move(lengths);
  positions_ = torch::tensor(positions, torch::kInt64).view({b, t}).to(device);
  mask_ = torch::tensor(mask).view({b, 1, t, longest}).to(keys_.front().options());
  groupedMask_ = torch::Tensor();
  nextPosition_ = longest;
}

const torch::Tensor& PagedKvCache::groupedMask(int64_t groups) {
  if (!groupedMask_.defined() || groupedMask_.size(2) != groups * mask_.size(2))
    groupedMask_ = mask_.transpose(0, 1).repeat({1, 1, groups, 1});
  return groupedMask_;
}

void PagedKvCache::write(size_t layer, const torch::Tensor& keys, const torch::Tensor& values) {
  const int64_t heads = keys.size(1), d = keys.size(3);
  for (auto [pool, x] : {std::pair{&keys_[layer], &keys}, std::pair{&values_[layer], &values}})
    pool->index_copy_(1, writeSlots_, x->transpose(0, 1).reshape({heads, -1, d}).to(pool->scalar_type()));
}

std::pair<torch::Tensor, torch::Tensor> PagedKvCache::gather(size_t layer) const {
  const auto b = static_cast<int64_t>(lengths_.size());
  const int64_t heads = keys_[layer].size(0), d = keys_[layer].size(2), longest = readSlots_.numel() / b;
  return {keys_[layer].index_select(1, readSlots_).view({heads, b, longest, d}),
          values_[layer].index_select(1, readSlots_).view({heads, b, longest, d})};
}

bool PagedKvCache::attendsInPlace(const torch::Tensor& q) const {
  return q.size(2) == 1 && engine::cpuFloat32KernelsApply({q, keys_.front()});
}

torch::Tensor PagedKvCache::attend(size_t layer, const torch::Tensor& q, double scale) const {
  const auto stride = static_cast<int64_t>(hostReadSlots_.size() / lengths_.size());
  return pagedDecodeAttention(q, keys_[layer], values_[layer], hostReadSlots_, stride, lengths_, scale);
}

}  // namespace reef::llm

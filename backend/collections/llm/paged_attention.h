#pragma once
// Decoding attention read in place from a PagedKvCache's pool on the CPU: each row's one new query
// against its own cached keys and values, slot by slot where its blocks hold them. The general path
// first gathers every row's whole history into a padded batch and runs five LibTorch ops on it.
// Timed on the KJV example's model, one thread, a loop of decoding steps (2026-12-05): 16 sequences
// 2.5 ms a step instead of 2.7, one sequence 0.66 ms instead of 0.82.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace reef::llm {

// q [rows, heads, 1, headDim] float32; keys and values one layer's pool [kvHeads, slots, headDim],
// each kv head serving heads / kvHeads query heads; slots: row r's positions are at
// slots[r * stride .. r * stride + lengths[r]). Returns softmax(q k^T * scale) v, [rows, heads, 1,
// headDim].
torch::Tensor pagedDecodeAttention(const torch::Tensor& q, const torch::Tensor& keys, const torch::Tensor& values,
                                   const std::vector<int64_t>& slots, int64_t stride,
                                   const std::vector<int64_t>& lengths, double scale);

}  // namespace reef::llm

#pragma once
// The KV cache of many sequences decoded together (continuous batching), held in fixed-size
// blocks: per layer one pool of `blocks x blockSize` token slots, and per sequence the blocks it
// holds, taken when it joins and returned when it leaves, so that memory follows the sequences
// running rather than the longest one. A model step is laid out by plan(): each batch row is one
// sequence with `cached` tokens already in its blocks and `fresh` new ones; attention then writes
// the new keys and values to their slots and reads each row's own tokens back (gather()), or, when
// decoding on the CPU, attends to them where they lie (attend()).
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <vector>

namespace reef::llm {

class PagedKvCache {
 public:
  struct Row {
    uint64_t sequence = 0;
    int64_t cached = 0, fresh = 1;  // every row of a step has the same `fresh`
  };

  PagedKvCache(int64_t layers, int64_t kvHeads, int64_t headDim, int64_t blocks, int64_t blockSize,
               const torch::TensorOptions& options);

  int64_t blockSize() const { return blockSize_; }
  int64_t freeBlocks() const { return static_cast<int64_t>(free_.size()); }
  int64_t totalBlocks() const { return blocks_; }
  int64_t blocksFor(int64_t tokens) const { return (tokens + blockSize_ - 1) / blockSize_; }
  // Gives `sequence` blocks for `tokens` tokens; false, taking none, when too few are free.
  bool reserve(uint64_t sequence, int64_t tokens);
  void release(uint64_t sequence);

  // Lays out the next model call; throws when a row would run past its sequence's blocks.
  void plan(const std::vector<Row>& rows);
  // Positions of the new tokens [rows, fresh] (for the rotary embedding).
  const torch::Tensor& positions() const { return positions_; }
  // Writes one layer's new keys and values [rows, kvHeads, fresh, headDim] to their slots.
  void write(size_t layer, const torch::Tensor& keys, const torch::Tensor& values);
  // Every row's keys and values [kvHeads, rows, longest, headDim] (head first: the layout the pool
  // keeps, so the gather is the only copy), shorter rows padded.
  std::pair<torch::Tensor, torch::Tensor> gather(size_t layer) const;
  // Whether attend() takes queries `q`: a decoding step (one new token per row) in fp32 on the CPU.
  bool attendsInPlace(const torch::Tensor& q) const;
  // softmax(q k^T * scale) v for q [rows, heads, 1, headDim], each row on its own keys and values
  // read where they lie (paged_attention.h), without gather().
  torch::Tensor attend(size_t layer, const torch::Tensor& q, double scale) const;
  // Added to the attention scores [rows, 1, fresh, longest]: 0 where a query may look, -inf where
  // the key is later than the query or padding.
  const torch::Tensor& mask() const { return mask_; }
  // The mask for queries grouped by key/value head, [1, rows, groups x fresh, longest], rows in
  // (group, position) order; made once per plan.
  const torch::Tensor& groupedMask(int64_t groups);
  // One past the last position the planned call writes (checked against the context on the host).
  int64_t nextPosition() const { return nextPosition_; }

 private:
  int64_t blocks_, blockSize_;
  std::vector<torch::Tensor> keys_, values_;  // per layer [kvHeads, blocks * blockSize, headDim]
  std::vector<int32_t> free_;
  std::map<uint64_t, std::vector<int32_t>> held_;
  torch::Tensor writeSlots_, readSlots_, positions_, mask_, groupedMask_;
  std::vector<int64_t> hostReadSlots_, lengths_;  // for attend(): per row `longest` slots, of which lengths_ its own
  int64_t nextPosition_ = 0;
};

}  // namespace reef::llm

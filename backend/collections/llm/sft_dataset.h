#pragma once
// Supervised fine-tuning data: JSON lines {"input": ..., "output": ...}. An example is the input's
// tokens, the output's tokens and the end-of-document token; the loss counts only the output and
// end tokens (batch field "loss_mask"). Examples are padded (or their output cut) to context + 1
// tokens. The held-out split is every 20th example, so the split never changes between runs.
#include "backend/collections/text/tokenizer.h"
#include "backend/engine/core/dataset.h"

#include <filesystem>
#include <memory>
#include <vector>

namespace reef::llm {

struct SftExample {
  std::vector<int> tokens;   // input, output, eos (cut to context + 1)
  int64_t promptLength = 0;  // input tokens
  int64_t outputBytes = 0;   // UTF-8 bytes of the output text the kept tokens spell
};

struct SftExamples {
  std::vector<SftExample> train, val;
  int64_t skipped = 0;  // inputs too long to leave room for an output token
};

// Throws naming the file and line for anything that is not an object with string input/output.
SftExamples loadSftExamples(const std::filesystem::path& jsonl, const text::Tokenizer& tokenizer, int64_t context);

class SftDataset : public engine::Dataset {
 public:
  // Batches: "tokens" [B, context + 1] int64 (padded with eos), "loss_mask" [B, context] float
  // (1 where the target is an output or end token), "bytes" [B] float64 (output bytes).
  SftDataset(std::vector<SftExample> examples, int64_t context, int pad);
  int64_t size() const override { return static_cast<int64_t>(examples_.size()); }
  engine::Batch get(const std::vector<int64_t>& indices) const override;

 private:
  std::vector<SftExample> examples_;
  int64_t context_;
  int pad_;
};

}  // namespace reef::llm

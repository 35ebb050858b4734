#pragma once
// One sequence being generated, whatever runs the model: its tokens, its sampling state, and the
// text it streams (whole UTF-8 characters only, a possible stop string held back until it cannot
// match). generate() drives one; a BatchedGeneration drives many, one step each per model call.
#include "backend/collections/text/tokenizer.h"
#include "backend/engine/core/text_generation.h"

#include <torch/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace reef::llm {

class SequenceDecoder {
 public:
  // Throws when the prompt leaves no room for a token in `context`.
  SequenceDecoder(const text::Tokenizer& tokenizer, const std::string& prompt, const engine::SamplingOptions& options,
                  engine::TokenCallback onText, int64_t context);

  // The start-of-document token and the prompt's tokens, then the generated ones.
  const std::vector<int>& tokens() const { return all_; }
  size_t promptSize() const { return result_.promptTokens.size(); }
  // The most tokens the sequence can reach: prompt plus max_tokens, within the context.
  int64_t capacity() const { return capacity_; }
  bool finished() const { return finished_; }
  // Samples the next token from next-token logits [vocab], appends it and streams the text it
  // completes; returns false once the sequence has ended (then the token, if any, is not to be fed).
  bool advance(const torch::Tensor& logits);
  bool advance(std::vector<double> logits);
  // The generated text and tokens; streams what was held back.
  engine::GenerationResult finish();

 private:
  const text::Tokenizer& tokenizer_;
  engine::SamplingOptions options_;
  engine::TokenCallback onText_;
  engine::GenerationResult result_;
  std::vector<int> all_;
  int64_t capacity_ = 0;
  bool documentStart_ = false, finished_ = false;
  uint64_t rng_ = 0;
  size_t emitted_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace reef::llm

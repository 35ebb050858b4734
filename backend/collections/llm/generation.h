#pragma once
// Text generation with a KV cache: greedy or sampled (temperature, top-k, top-p, repetition
// penalty), stop strings, a token limit, a seed, and a callback that receives the text as it
// grows (whole UTF-8 characters only, never part of a stop string).
#include "llm/llama.h"
#include "llm/tokenizer.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace reef::llm {

struct SamplingOptions {
  int64_t maxTokens = 128;
  double temperature = 1.0;  // 0: greedy
  int64_t topK = 0;          // 0: no limit
  double topP = 1.0;
  double repetitionPenalty = 1.0;
  std::vector<std::string> stop;
  uint64_t seed = 0;
  bool useCache = true;   // false recomputes the whole sequence per token (the reference path)
  bool ignoreEos = false;  // keep going past the end-of-document token (benchmarks)
};

struct GenerationResult {
  std::vector<int> promptTokens;
  std::vector<int> tokens;   // generated
  std::string text;          // generated, stop string excluded
  std::string finishReason;  // "stop" (end of document or a stop string) or "length"
  double seconds = 0;
};

// Returns false from the callback to stop early.
using TokenCallback = std::function<bool(const std::string& newText)>;

GenerationResult generate(LlamaForCausalLM& net, const Tokenizer& tokenizer, const std::string& prompt,
                          const SamplingOptions& options, const TokenCallback& onText = {});

// The next token from last-position logits [vocab] under `options` (exposed for tests).
int sampleToken(torch::Tensor logits, const std::vector<int>& history, const SamplingOptions& options, uint64_t& rng);

}  // namespace reef::llm

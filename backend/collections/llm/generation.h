#pragma once
// Text generation with a KV cache: greedy or sampled (temperature, top-k, top-p, repetition
// penalty), stop strings, a token limit, a seed, and a callback that receives the text as it
// grows (whole UTF-8 characters only, never part of a stop string).
#include "backend/collections/llm/llama.h"
#include "backend/collections/text/tokenizer.h"
#include "backend/engine/core/inference.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace reef::llm {

// The engine's generation types (backend/engine/core/inference.h), under the names this
// collection has always used.
using SamplingOptions = engine::SamplingOptions;
using GenerationResult = engine::GenerationResult;
using TokenCallback = engine::TokenCallback;

GenerationResult generate(LlamaForCausalLM& net, const text::Tokenizer& tokenizer, const std::string& prompt,
                          const SamplingOptions& options, const TokenCallback& onText = {});

// Logits [vocab] as float64 values on the host, as the samplers take them.
std::vector<double> hostLogits(const torch::Tensor& logits);

// The next token from last-position logits [vocab] under `options` (exposed for tests).
int sampleToken(const torch::Tensor& logits, const std::vector<int>& history, const SamplingOptions& options,
                uint64_t& rng);
int sampleToken(std::vector<double> logits, const std::vector<int>& history, const SamplingOptions& options,
                uint64_t& rng);

}  // namespace reef::llm

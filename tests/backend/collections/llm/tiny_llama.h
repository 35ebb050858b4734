#pragma once
// What the LLM suites share: a Llama small enough to run in milliseconds, and the KJV tokenizer
// that scripts/prepare-data.sh trains.
#include "backend/collections/llm/llama.h"
#include "backend/collections/text/tokenizer.h"

#include <filesystem>
#include <stdexcept>

namespace reef::llm::testing {

inline LlamaConfig tinyLlama(int64_t vocab, bool tied = true, int64_t experts = 0) {
  LlamaConfig c;
  c.vocab = vocab;
  c.dim = 32;
  c.layers = 2;
  c.heads = 4;
  c.kvHeads = 2;
  c.maxContext = 64;
  c.tieEmbeddings = tied;
  c.experts = experts;
  return c;
}

inline text::Tokenizer kjvTokenizer() {
  const auto model = std::filesystem::path(REEF_SOURCE_DIR) / "data/llm/kjv/tokenizer.model";
  if (!std::filesystem::exists(model))
    throw std::runtime_error("run scripts/prepare-data.sh first (it trains the kjv tokenizer)");
  return text::Tokenizer::load(model);
}

}  // namespace reef::llm::testing

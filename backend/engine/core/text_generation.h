#pragma once
// Serving mode "chat" (see inference.h): what generation takes and gives, one sequence at a time
// or many continuously batched. Torch-free, so that what drives generation (reef serve's scheduler,
// its tests) builds without LibTorch's headers.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace reef::engine {

struct SamplingOptions {
  int64_t maxTokens = 128;
  double temperature = 1.0;  // 0: greedy
  int64_t topK = 0;          // 0: no limit
  double topP = 1.0;
  double repetitionPenalty = 1.0;
  std::vector<std::string> stop;
  uint64_t seed = 0;
  bool useCache = true;    // false recomputes the whole sequence per token (the reference path)
  bool ignoreEos = false;  // keep going past the end-of-document token (benchmarks)
};

struct GenerationResult {
  std::vector<int> promptTokens;
  std::vector<int> tokens;   // generated
  std::string text;          // generated, stop string excluded
  std::string finishReason;  // "stop" (end of document or a stop string) or "length"
  double seconds = 0;
  // Until the first token was sampled: the prompt's forward pass, and on a process's first call
  // the kernels oneDNN generates for it, so the decoding rate is read after it.
  double firstTokenSeconds = 0;
};

// Receives the generated text as it grows; returns false to stop early.
using TokenCallback = std::function<bool(const std::string& newText)>;

// Continuous batching: many sequences decoded together, each joining and leaving the running
// batch between decoding steps with its own sampling settings, stop strings, limit and callback.
// The KV cache is held in blocks: a sequence takes what its prompt and max_tokens can fill (within
// the context) when it joins and returns it when it ends. Not thread-safe: one thread drives it.
struct BatchLimits {
  int64_t maxSequences = 32;
  int64_t cacheTokens = 0;  // KV cache size in tokens; 0: every sequence can fill the context
};

class GenerationBatch {
 public:
  struct Finished {
    uint64_t id = 0;
    GenerationResult result;
  };
  virtual ~GenerationBatch() = default;
  // Runs the prompt of sequence `id` and samples its first token (onText may receive text). Returns
  // false, having done nothing, when maxSequences are running or the cache lacks room now; a later
  // step frees room. Throws when the prompt leaves no room in the context.
  virtual bool add(uint64_t id, const std::string& prompt, const SamplingOptions& options, TokenCallback onText) = 0;
  // One token for every running sequence; returns the sequences that ended since the last call (end
  // of document, a stop string, max_tokens, the context, or their callback returned false).
  virtual std::vector<Finished> step() = 0;
  virtual size_t running() const = 0;
};

// Serving mode "chat": completions and chat completions.
class TextGeneration {
 public:
  virtual ~TextGeneration() = default;
  // Tokens the model attends to: prompt and generated text together.
  virtual int64_t contextLength() const = 0;
  // The prompt's length in tokens as generation counts it (with its start-of-document token).
  virtual int64_t promptLength(const std::string& prompt) const = 0;
  virtual GenerationResult generateText(const std::string& prompt, const SamplingOptions& options,
                                        const TokenCallback& onText) = 0;
  // A batch for serving many requests at once (see GenerationBatch). Throws when `limits` cannot
  // hold one sequence that fills the context.
  virtual std::unique_ptr<GenerationBatch> newBatch(const BatchLimits& limits) = 0;
};

}  // namespace reef::engine

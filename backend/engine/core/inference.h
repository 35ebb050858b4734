#pragma once
// What serving calls on a trained model: one interface per serving mode, the value of the
// catalog's capabilities.serving. A collection's model implements the interface of the mode its
// registration declares; `reef serve` and the studio know these modes, never the collections.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace reef::engine {

namespace serving {
inline constexpr const char* kChat = "chat";                                 // TextGeneration
inline constexpr const char* kImageClassification = "image_classification";  // ImageClassification
inline constexpr const char* kTextClassification = "text_classification";    // TextClassification
inline constexpr const char* kNone = "none";
}  // namespace serving

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
};

// Receives the generated text as it grows; returns false to stop early.
using TokenCallback = std::function<bool(const std::string& newText)>;

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
};

// What the classification modes share: class probabilities for a batch of examples.
class Classification {
 public:
  virtual ~Classification() = default;
  virtual const std::vector<std::string>& classNames() const = 0;
  // Examples (one tensor each, made from a request's input) -> logits [B, classes] in one call.
  virtual torch::Tensor batchLogits(const std::vector<torch::Tensor>& examples) = 0;
};

// Serving mode "image_classification": an example is pixels in [0, 1], [channels, height, width].
class ImageClassification : public Classification {
 public:
  struct InputShape {
    int64_t channels = 0, height = 0, width = 0;
  };
  virtual InputShape inputShape() const = 0;
};

// Serving mode "text_classification": an example is the text's token ids, int64 [length].
class TextClassification : public Classification {
 public:
  virtual torch::Tensor tokenIds(const std::string& text) const = 0;
};

}  // namespace reef::engine

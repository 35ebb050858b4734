#pragma once
// What serving calls on a trained model: one interface per serving mode, the value of the
// catalog's capabilities.serving. A collection's model implements the interface of the mode its
// registration declares; `reef serve` and the studio know these modes, never the collections.
#include "backend/engine/core/text_generation.h"

#include <torch/torch.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace reef::engine {

namespace serving {
inline constexpr const char* kChat = "chat";                                 // TextGeneration (text_generation.h)
inline constexpr const char* kImageClassification = "image_classification";  // ImageClassification
inline constexpr const char* kTextClassification = "text_classification";    // TextClassification
inline constexpr const char* kTranscription = "transcription";               // SpeechRecognition
inline constexpr const char* kSpeech = "speech";                             // SpeechSynthesis
inline constexpr const char* kEmbedding = "embedding";                       // Embedding
inline constexpr const char* kCaptioning = "captioning";                     // ImageCaptioning
inline constexpr const char* kPunctuation = "punctuation";                   // TextRestoration
inline constexpr const char* kNone = "none";
}  // namespace serving

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

// A word of a transcript and when it is said (seconds from the start of the audio).
struct TimedWord {
  std::string word;
  double start = 0, end = 0;
};

struct Transcription {
  std::string text;
  std::vector<TimedWord> words;
};

// Serving mode "transcription": mono samples at the model's rate in, text with word times out.
class SpeechRecognition {
 public:
  virtual ~SpeechRecognition() = default;
  virtual int sampleRate() const = 0;
  virtual Transcription transcribeTimed(const std::vector<float>& samples) = 0;
};

// What a speech model throws for text it cannot say (only digits or symbols): the request's fault,
// where any other exception is the model's.
struct NothingToSay : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

// Serving mode "speech": text in, mono samples at sampleRate() out. Serving calls it a sentence
// at a time, so that a long text's first sentence is heard while the rest is made.
class SpeechSynthesis {
 public:
  virtual ~SpeechSynthesis() = default;
  virtual int sampleRate() const = 0;
  // pace > 1 speaks faster. Throws NothingToSay when the text has nothing the model can say.
  virtual std::vector<float> synthesize(const std::string& text, double pace) = 0;
};

// Serving mode "embedding": texts and images into one space of unit vectors (CLIP-style), for
// embeddings and zero-shot classification of images against labels given with the request.
class Embedding {
 public:
  virtual ~Embedding() = default;
  virtual int64_t dimensions() const = 0;
  virtual int64_t tokenCount(const std::string& text) const = 0;
  // [N, dimensions] on the CPU, unit rows.
  virtual torch::Tensor textEmbeddings(const std::vector<std::string>& texts) = 0;
  // Pixels [C, H, W] in [0, 1], any size, C = 1, 3 or 4: fitted as the model's training images were.
  virtual torch::Tensor imageEmbeddings(const std::vector<torch::Tensor>& images) = 0;
  // The text a label is compared as ("a photo of a {}"), and the scale of the similarities that
  // makes them logits.
  virtual std::string labelPrompt(const std::string& label) const = 0;
  virtual double similarityScale() const = 0;
};

// Serving mode "captioning": a caption for each image (pixels [C, H, W] in [0, 1], any size,
// C = 1, 3 or 4, fitted as the model's training images were), answered as a chat completion.
class ImageCaptioning {
 public:
  virtual ~ImageCaptioning() = default;
  virtual std::vector<std::string> captions(const std::vector<torch::Tensor>& images) = 0;
  // What the decoder reads per image and writes per caption, for a response's usage.
  virtual int64_t imageTokens() const = 0;
  virtual int64_t captionTokens(const std::string& caption) const = 0;
};

// Serving mode "punctuation": a text's punctuation and capitals restored (whatever it had is
// dropped first).
class TextRestoration {
 public:
  virtual ~TextRestoration() = default;
  virtual std::string restore(const std::string& text) = 0;
};

}  // namespace reef::engine

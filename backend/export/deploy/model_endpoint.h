#pragma once
// What `reef serve`'s routes ask of the model behind them. Torch-free, so that the HTTP side
// (routes, limits, errors) builds, is tested and is fuzzed without LibTorch; ServedModel is the
// implementation that runs a run's model.
#include "backend/export/deploy/openai_protocol.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace reef::deploy {

struct Completion {
  std::string text, finishReason;
  Usage usage;
  double seconds = 0;
};

class ModelEndpoint {
 public:
  virtual ~ModelEndpoint() = default;

  virtual const std::string& id() const = 0;
  // The serving mode: chat, image_classification, text_classification, transcription, speech,
  // embedding, captioning or punctuation (engine::serving).
  virtual const std::string& serving() const = 0;
  // Answers completions: a language model (chat), or a captioner (chat with an image).
  virtual bool generatesText() const = 0;
  virtual std::string description() const = 0;  // "<collection>/<arch>, step 400"
  virtual int64_t created() const = 0;          // when the checkpoint was written (Unix seconds)

  // Throws ApiError (400) when the request cannot be answered (a classifier, a prompt longer than
  // the context, an image for a language model, none for a captioner); complete() checks too,
  // this lets a stream fail before it starts. A captioner's completion is the image's caption.
  virtual void checkRequest(const GenerationRequest& request) const = 0;
  // Streams the generated text through onText (return false to stop, as when a client left).
  virtual Completion complete(const GenerationRequest& request,
                              const std::function<bool(const std::string&)>& onText) = 0;
  // {"object": "list", "model", "data": [{index, label, label_index, score, top: [{label, score}]}]};
  // an embedding model classifies zero-shot into request.labels.
  virtual Json classify(const ClassifyRequest& request) = 0;
  // The /v1/embeddings answer (embeddingResponse()); ApiError 400 naming the field that is wrong.
  virtual Json embed(const EmbeddingRequest& request) = 0;
  // {"text", "duration" (seconds of audio), "words": [{word, start, end}]}; ApiError 400 naming
  // "file" when the audio does not decode or is too long.
  virtual Json transcribe(const TranscriptionRequest& request) = 0;
  // Speech: the samples of one sentence at speechRate(), said `speed` times faster than the
  // model's pace; ApiError 400 naming "input" when the sentence has nothing the model can say.
  virtual int speechRate() const = 0;
  virtual std::vector<float> speak(const std::string& sentence, double speed) = 0;
  // The /v1/punctuate answer (punctuationResponse()).
  virtual Json punctuate(const PunctuationRequest& request) = 0;
};

}  // namespace reef::deploy

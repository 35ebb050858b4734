#pragma once
// The model behind `reef serve`: a run or bundle loaded once, answering completions (language
// models, one generation at a time) or classifications (image and text classifiers, dynamically
// batched).
// The only part of deployment that touches LibTorch.
#include "deploy/openai_protocol.h"
#include "deploy/serving_metrics.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace reef::deploy {

struct ServedModelOptions {
  std::string target, checkpoint = "best";
  std::string name;  // the id clients pass as "model"; empty: the spec's exp.name
  size_t maxBatch = 32;
  std::chrono::microseconds maxWait{5000};
};

struct Completion {
  std::string text, finishReason;
  Usage usage;
  double seconds = 0;
};

class ServedModel {
 public:
  enum class Kind { LanguageModel, ImageClassifier, TextClassifier };
  // Loads the model; throws std::runtime_error naming the target when it cannot.
  ServedModel(const ServedModelOptions& options, ServingMetrics& metrics);
  ~ServedModel();

  const std::string& id() const;
  Kind kind() const;
  std::string description() const;  // e.g. "llm/llama, step 400"
  int64_t created() const;           // when the checkpoint was written (Unix seconds)

  // Throws ApiError (400) when the request cannot be answered (a classifier, a prompt longer than
  // the context); complete() checks too, this lets a stream fail before it starts.
  void checkRequest(const GenerationRequest& request) const;
  // Streams the generated text through onText (return false to stop, as when a client left).
  Completion complete(const GenerationRequest& request, const std::function<bool(const std::string&)>& onText);
  // {"object": "list", "model", "data": [{index, label, label_index, score, top: [{label, score}]}]}
  Json classify(const ClassifyRequest& request);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace reef::deploy

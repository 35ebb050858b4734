#pragma once
// The model behind `reef serve`: a run or bundle loaded once and served in the mode its catalog
// capabilities declare: completions (chat: one generation at a time) or classifications (image and
// text classification: dynamically batched). The only part of deployment that touches LibTorch.
#include "backend/export/deploy/openai_protocol.h"
#include "backend/export/deploy/serving_metrics.h"

#include "backend/engine/core/registry.h"

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
  // Loads the model through `registry`; throws std::runtime_error naming the target when it cannot,
  // or when its collection declares no serving mode.
  ServedModel(const engine::Registry& registry, const ServedModelOptions& options, ServingMetrics& metrics);
  ~ServedModel();

  const std::string& id() const;
  // The serving mode: chat, image_classification or text_classification (engine::serving).
  const std::string& serving() const;
  bool generatesText() const;
  std::string description() const;  // "<collection>/<arch>, step 400"
  int64_t created() const;          // when the checkpoint was written (Unix seconds)

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

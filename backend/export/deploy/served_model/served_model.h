#pragma once
// The model behind `reef serve`: a run or bundle loaded once and served in the mode its catalog
// capabilities declare: completions (chat: continuously batched), classifications (image and
// text classification: dynamically batched), transcriptions (one utterance per model call),
// speech (one sentence per model call), embeddings (one request per model call), captions (chat
// with an image; concurrent requests' images dynamically batched) or punctuation (one text per
// model call). The only part of deployment that touches LibTorch.
#include "backend/export/deploy/model_endpoint.h"
#include "backend/export/deploy/serving_metrics.h"

#include "backend/engine/core/registry.h"

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace reef::deploy {

struct ServedModelOptions {
  std::string target, checkpoint = "best";
  std::string name;         // the id clients pass as "model"; empty: the spec's exp.name
  size_t maxBatch = 32;     // classification: images or texts per model call; chat: sequences decoded at once
  int64_t cacheTokens = 0;  // chat: the KV cache in tokens; 0: every sequence can fill the context
  std::chrono::microseconds maxWait{5000};
  int computeThreads = 0;  // threads for model calls; 0: every core but one (engine::configureServingRuntime)
};

class ServedModel final : public ModelEndpoint {
 public:
  // Loads the model through `registry`; throws std::runtime_error naming the target when it cannot,
  // or when its collection declares no serving mode.
  ServedModel(const engine::Registry& registry, const ServedModelOptions& options, ServingMetrics& metrics);
  ~ServedModel();

  const std::string& id() const override;
  const std::string& serving() const override;
  bool generatesText() const override;
  std::string description() const override;
  int64_t created() const override;
  void checkRequest(const GenerationRequest& request) const override;
  Completion complete(const GenerationRequest& request, const std::function<bool(const std::string&)>& onText) override;
  Json classify(const ClassifyRequest& request) override;
  Json embed(const EmbeddingRequest& request) override;
  Json transcribe(const TranscriptionRequest& request) override;
  int speechRate() const override;
  std::vector<float> speak(const std::string& sentence, double speed) override;
  Json punctuate(const PunctuationRequest& request) override;
  static constexpr double kMaxAudioSeconds = 600;

 private:
  Json classifyZeroShot(const ClassifyRequest& request);
  Completion caption(const GenerationRequest& request, const std::function<bool(const std::string&)>& onText);
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace reef::deploy

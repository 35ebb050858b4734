#pragma once
// One pass of an ASR model over a split: CTC loss, corpus WER and CER (errors over reference
// words/characters, so long utterances weigh more, as the usual tools count), WER per sentence
// kind when the manifest names kinds, greedy decoding's WER beside a beam search's (what the
// search and its language model add), and the real-time factor (seconds of audio per second of
// compute, features to text). The artifact: the predictions to listen to, the worst first.
#include "backend/collections/asr/asr_model.h"
#include "backend/protocol/audio/word_errors.h"

#include <chrono>

namespace reef::asr {

class AsrEvaluation : public engine::Evaluation {
 public:
  AsrEvaluation(AsrModel& model, std::shared_ptr<SpeechDataset> dataset, size_t keptPredictions = 200);
  void update(const engine::Batch& batch) override;
  engine::MetricMap finish() override;
  std::vector<engine::Artifact> writeArtifacts(const std::filesystem::path& dir, const std::string& prefix) override;

  struct Prediction {
    int64_t index;
    std::string reference, hypothesis;
    protocol::audio::ErrorCounts words, characters;
  };
  const std::vector<Prediction>& predictions() const { return predictions_; }

 private:
  AsrModel& model_;
  std::shared_ptr<SpeechDataset> dataset_;
  size_t kept_;
  double lossSum_ = 0, audioSeconds_ = 0, computeSeconds_ = 0;
  int64_t utterances_ = 0;
  protocol::audio::ErrorCounts words_, characters_, greedyWords_;
  std::map<std::string, protocol::audio::ErrorCounts> wordsByKind_;
  std::vector<Prediction> predictions_;
};

}  // namespace reef::asr

#pragma once
// One pass of a TTS model over a split: teacher-forced losses (mel L1 on held-out sentences, the
// usual quality proxy, and the duration and pitch losses), then intelligibility: the first
// `judged` sentences synthesized from text alone (predicted durations and pitch, Griffin-Lim),
// transcribed by the aligner's ASR model and scored in WER against the text (also greedily decoded
// when its spec decodes with a beam, so the language model's share is visible). The artifact:
// those wavs, to listen to beside the recordings.
#include "backend/collections/tts/tts_model.h"
#include "backend/protocol/audio/word_errors.h"

namespace reef::tts {

class TtsEvaluation : public engine::Evaluation {
 public:
  TtsEvaluation(TtsModel& model, std::shared_ptr<TtsDataset> dataset, int64_t judged);
  void update(const engine::Batch& batch) override;
  engine::MetricMap finish() override;
  std::vector<engine::Artifact> writeArtifacts(const std::filesystem::path& dir, const std::string& prefix) override;

 private:
  struct Sample {
    int64_t index;
    std::string hypothesis;
    protocol::audio::ErrorCounts words;
    std::vector<float> audio;
  };
  TtsModel& model_;
  std::shared_ptr<TtsDataset> dataset_;
  int64_t judged_;
  double mel_ = 0, duration_ = 0, pitch_ = 0, synthesisSeconds_ = 0, audioSeconds_ = 0;
  int64_t batches_ = 0;
  protocol::audio::ErrorCounts words_, greedyWords_;
  std::vector<Sample> samples_;
};

}  // namespace reef::tts

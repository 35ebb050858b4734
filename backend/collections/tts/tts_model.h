#pragma once
// The TTS collection's model: FastPitch from characters to log-mel, Griffin-Lim to a waveform.
// Training data are aligned by a trained ASR run (data.aligner, see tts_corpus.h), which also
// judges intelligibility in evaluation: it transcribes the synthesized held-out sentences.
// Synthesis needs only the spec and the weights, so a bundle carries the model.
#include "backend/collections/asr/asr_model.h"
#include "backend/collections/tts/fastpitch.h"
#include "backend/collections/tts/griffin_lim.h"
#include "backend/collections/tts/tts_corpus.h"
#include "backend/engine/core/inference.h"
#include "backend/engine/core/model.h"

#include <memory>
#include <optional>

namespace reef::tts {

class TtsModel : public engine::Model, public engine::SpeechSynthesis {
 public:
  explicit TtsModel(const engine::ModelContext& context);

  torch::nn::Module& module() override { return *network_; }
  std::shared_ptr<engine::Dataset> dataset(engine::Split split) override;
  torch::Tensor trainingStep(const engine::Batch& batch) override;
  std::unique_ptr<engine::Evaluation> evaluation(engine::Split split) override;
  std::optional<std::vector<std::filesystem::path>> inferenceAssets() const override {
    return std::vector<std::filesystem::path>{};
  }

  struct Losses {
    torch::Tensor mel, duration, pitch;
    torch::Tensor total() const { return mel + 0.1 * duration + 0.1 * pitch; }
  };
  // Teacher-forced losses of a batch: mel L1 over real frames, log-duration and pitch MSE over real
  // characters.
  Losses losses(const engine::Batch& batch);
  // Log-mel [F, n_mels] of a text with predicted durations and pitch; pace > 1 speaks faster.
  torch::Tensor melOf(const std::string& text, double pace = 1.0);
  // Waveform at sampleRate().
  std::vector<float> synthesize(const std::string& text, double pace = 1.0) override;
  int sampleRate() const override { return melOptions_.sampleRate; }
  // The ASR model of data.aligner (loaded with the datasets); null before, or without one.
  asr::AsrModel* judge() { return aligner_.get(); }
  torch::Device device() const;

 private:
  void prepare();
  engine::ModelContext context_;
  protocol::audio::MelOptions melOptions_;
  std::shared_ptr<const asr::AsrVocabulary> vocabulary_;
  GriffinLim vocoder_;
  int64_t judgedSamples_;
  std::unique_ptr<asr::AsrModel> aligner_;
  std::optional<TtsSplits> splits_;
  FastPitch network_{nullptr};
};

}  // namespace reef::tts

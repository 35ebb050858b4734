#pragma once
// The ASR collection's CTC model, as NeMo's EncDecCTCModel: preprocessor (log-mel, per-utterance
// normalisation, SpecAugment in training), an acoustic network (QuartzNet or Conformer), CTC loss
// and greedy or beam decoding into text. Built from the spec alone for characters (and from the
// tokenizer for sub-words), so a bundle carries it.
#include "backend/collections/asr/acoustic_network.h"
#include "backend/collections/asr/asr_vocabulary.h"
#include "backend/collections/asr/ctc_decoding.h"
#include "backend/collections/asr/speech_dataset.h"
#include "backend/collections/asr/speech_features.h"
#include "backend/collections/asr/word_language_model.h"
#include "backend/engine/core/inference.h"
#include "backend/engine/core/model.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace reef::asr {

class AsrModel : public engine::Model, public engine::SpeechRecognition {
 public:
  using NetworkBuilder = std::function<std::shared_ptr<AcousticNetworkImpl>(int64_t mels, int64_t labels)>;
  AsrModel(const engine::ModelContext& context, const NetworkBuilder& build);

  torch::nn::Module& module() override { return *network_; }
  std::shared_ptr<engine::Dataset> dataset(engine::Split split) override;
  torch::Tensor trainingStep(const engine::Batch& batch) override;
  std::unique_ptr<engine::Evaluation> evaluation(engine::Split split) override;
  std::optional<std::vector<std::filesystem::path>> inferenceAssets() const override;

  // Log-probabilities [B, T', V] and valid frames [B] of a batch of waveforms [B, T] (lengths [B]).
  std::pair<torch::Tensor, torch::Tensor> logProbs(const torch::Tensor& audio, const torch::Tensor& lengths);
  // Decodes one utterance's log-probabilities with the spec's decoder.
  std::string decode(const torch::Tensor& logProbs, int64_t frames) const;
  std::string decodeGreedy(const torch::Tensor& logProbs, int64_t frames) const;
  bool decodesWithBeam() const { return beam_; }
  // Whole-file transcription at the model's sample rate, with the spec's decoder or greedily.
  std::string transcribe(const std::vector<float>& samples, bool greedy = false);
  // The same, with each word's time: the frames on which the CTC alignment of the decoded text to
  // the audio emits the word's labels (no words when the text cannot be aligned).
  engine::Transcription transcribeTimed(const std::vector<float>& samples) override;
  std::shared_ptr<SpeechDataset> manifestDataset(const std::filesystem::path& manifest) const;

  const AsrVocabulary& vocabulary() const { return *vocabulary_; }
  const LogMelFeatures& features() const { return features_; }
  int sampleRate() const override { return features_.options().sampleRate; }
  int64_t subsampling() const { return network_->subsampling(); }
  torch::Device device() const;

 private:
  // One utterance's log-probabilities [T', V] and valid frames.
  std::pair<torch::Tensor, int64_t> utteranceLogProbs(const std::vector<float>& samples);
  std::vector<engine::TimedWord> wordTimes(const torch::Tensor& logProbs, int64_t frames,
                                           const std::string& text) const;
  engine::ModelContext context_;
  std::shared_ptr<const AsrVocabulary> vocabulary_;
  std::filesystem::path tokenizerPath_;
  LogMelFeatures features_;
  SpecAugmentOptions augment_;
  bool beam_ = false;
  BeamOptions beamOptions_;
  std::filesystem::path lmText_;     // empty: no language model
  std::filesystem::path lmLexicon_;  // empty: only the words of lmText_
  std::unique_ptr<WordLanguageModel> languageModel_;
  std::unique_ptr<LexiconScorer> scorer_;
  double maxSeconds_;
  std::map<engine::Split, std::shared_ptr<SpeechDataset>> datasets_;
  std::shared_ptr<AcousticNetworkImpl> network_;
};

// The mel options of a spec's data section (sample_rate, n_fft, win_length, hop, n_mels).
protocol::audio::MelOptions melOptionsFromSpec(const Json& data);

}  // namespace reef::asr

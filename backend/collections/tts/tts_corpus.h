#pragma once
// The TTS training data, prepared once per run from a single-voice speech manifest: characters
// (the aligner's alphabet), the log-mel target, per-character durations and pitch.
//
// Durations come from CTC forced alignment with a trained Reef ASR model (backend/collections/asr/ctc_alignment.h):
// the ASR model already knows where each character is spoken, for the voices it was trained on,
// so no separate aligner has to be learnt (FastPitch's own aligner would need its own training
// budget). Its frames are `subsampling` mel frames each; the last character absorbs the rounding.
// Pitch: the mean F0 of a character's voiced frames, normalised by the training split's mean and
// deviation (0 for an unvoiced character).
#include "backend/collections/asr/asr_model.h"
#include "backend/engine/core/dataset.h"
#include "backend/protocol/audio/speech_manifest.h"

#include <memory>
#include <vector>

namespace reef::tts {

struct TtsUtterance {
  protocol::audio::ManifestEntry entry;
  std::vector<int64_t> text;       // label ids of the aligner's vocabulary (> 0)
  torch::Tensor mel;               // [F, n_mels]
  std::vector<int64_t> durations;  // per character, sums to F
  std::vector<float> pitch;        // per character, normalised
  std::vector<float> pitchHz;      // per character, before normalisation (0: unvoiced)
};

// Mel frames of the aligner's output frames, per label; sums to melFrames.
std::vector<int64_t> melDurations(const std::vector<int64_t>& alignerDurations, int64_t subsampling, int64_t melFrames);

struct PitchStats {
  double mean = 0, deviation = 1;
};

class TtsDataset : public engine::Dataset {
 public:
  explicit TtsDataset(std::vector<TtsUtterance> utterances) : utterances_(std::move(utterances)) {}
  int64_t size() const override { return static_cast<int64_t>(utterances_.size()); }
  // "text" [B, T], "text_length" [B], "durations" [B, T], "pitch" [B, T], "mel" [B, F, n_mels],
  // "mel_length" [B], "index" [B].
  engine::Batch get(const std::vector<int64_t>& indices) const override;
  std::vector<double> lengths() const override;
  const TtsUtterance& utterance(int64_t i) const { return utterances_.at(static_cast<size_t>(i)); }

 private:
  std::vector<TtsUtterance> utterances_;
};

struct TtsSplits {
  std::shared_ptr<TtsDataset> train, val, test;
  PitchStats pitch;
  int64_t skipped = 0;  // utterances left out (reported on stderr): nothing to spell, or too fast to align
};

// Reads the three manifests, computes targets and aligns every utterance with `aligner`.
TtsSplits prepareTtsSplits(const std::filesystem::path& train, const std::filesystem::path& val,
                           const std::filesystem::path& test, asr::AsrModel& aligner);

}  // namespace reef::tts

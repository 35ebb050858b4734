#pragma once
// Utterances of a speech manifest as batches for CTC training: waveforms read (libsndfile,
// resampled when needed) by the loader's workers, zero-padded to the longest of the batch.
// Batches: "audio" [B, T] float, "audio_length" [B], "targets" [B, S] (label ids, 0-padded),
// "target_length" [B], "index" [B] (the entry's place in the manifest). Batch::tokens counts
// labels.
#include "backend/collections/asr/asr_vocabulary.h"
#include "backend/engine/core/dataset.h"
#include "backend/protocol/audio/speech_manifest.h"

#include <memory>
#include <vector>

namespace reef::asr {

class SpeechDataset : public engine::Dataset {
 public:
  // Entries longer than maxSeconds are left out (and counted in skipped()).
  SpeechDataset(std::vector<protocol::audio::ManifestEntry> entries, std::shared_ptr<const AsrVocabulary> vocabulary,
                int sampleRate, double maxSeconds);
  int64_t size() const override { return static_cast<int64_t>(entries_.size()); }
  engine::Batch get(const std::vector<int64_t>& indices) const override;
  std::vector<double> lengths() const override;
  const protocol::audio::ManifestEntry& entry(int64_t index) const { return entries_.at(static_cast<size_t>(index)); }
  int64_t skipped() const { return skipped_; }
  double totalSeconds() const;

 private:
  std::vector<protocol::audio::ManifestEntry> entries_;
  std::vector<std::vector<int64_t>> targets_;
  std::shared_ptr<const AsrVocabulary> vocabulary_;
  int sampleRate_;
  int64_t skipped_ = 0;
};

}  // namespace reef::asr

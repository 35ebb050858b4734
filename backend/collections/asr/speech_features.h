#pragma once
// The ASR preprocessor, as NeMo's AudioToMelSpectrogramPreprocessor: waveforms to log-mel
// spectrograms through torch::stft (on the model's device), normalised per utterance and per mel
// channel over the utterance's own frames; and SpecAugment's masks for training.
#include "backend/protocol/audio/mel_spectrogram.h"

#include <torch/torch.h>

#include <utility>

namespace reef::asr {

class LogMelFeatures {
 public:
  explicit LogMelFeatures(protocol::audio::MelOptions options);
  // Samples [B, T] (zero-padded) and their lengths [B] -> features [B, n_mels, F] (zero beyond
  // each utterance's frames) and frame counts [B]. normalise: zero mean, unit variance per
  // channel over each utterance's frames.
  std::pair<torch::Tensor, torch::Tensor> operator()(const torch::Tensor& audio, const torch::Tensor& lengths,
                                                     bool normalise = true) const;
  // Without normalisation or padding: [F, n_mels] for one waveform (the TTS targets).
  torch::Tensor logMel(const torch::Tensor& samples) const;
  const protocol::audio::MelOptions& options() const { return options_; }
  int64_t frames(int64_t samples) const { return protocol::audio::frameCount(samples, options_); }

 private:
  torch::Tensor powerMel(const torch::Tensor& audio) const;  // [B, T] -> [B, n_mels, F]
  protocol::audio::MelOptions options_;
  torch::Tensor filterbank_, window_;  // [n_mels, n_fft / 2 + 1], [win_length]
};

struct SpecAugmentOptions {
  int freqMasks = 2, freqWidth = 15;  // masks of up to freqWidth mel channels
  int timeMasks = 2;                  // each up to timeWidth of the utterance's frames
  double timeWidth = 0.05;
  // Vocal tract length perturbation on the mel axis: each utterance's channels stretched by a
  // random factor in [1 - freqWarp, 1 + freqWarp], so that a voice with other formants is not new.
  double freqWarp = 0.1;
};

// Warps the mel axis, then masks (sets to zero: the normalised mean) random bands in place; uses
// the global torch generator, which the trainer seeds and checkpoints.
void specAugment(torch::Tensor& features, const torch::Tensor& lengths, const SpecAugmentOptions& options);

}  // namespace reef::asr

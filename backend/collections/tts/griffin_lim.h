#pragma once
// The vocoder of last resort, and the one that needs no training: a log-mel spectrogram back to a
// magnitude spectrogram (least squares through the mel filterbank's pseudo-inverse, clamped at
// zero), then Griffin-Lim's phase reconstruction (alternating projections between consistent
// STFTs and the given magnitudes).
#include "backend/protocol/audio/mel_spectrogram.h"

#include <torch/torch.h>

namespace reef::tts {

class GriffinLim {
 public:
  explicit GriffinLim(protocol::audio::MelOptions options, int iterations = 32);
  // logMel [F, n_mels] (natural log of mel power, as LogMelFeatures::logMel) -> samples [(F - 1) * hop].
  torch::Tensor operator()(const torch::Tensor& logMel) const;

 private:
  protocol::audio::MelOptions options_;
  int iterations_;
  torch::Tensor inverse_, window_;  // [bins, n_mels], [win_length]
};

}  // namespace reef::tts

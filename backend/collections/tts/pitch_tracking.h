#pragma once
// Fundamental frequency per spectrogram frame by normalised autocorrelation (the classic method
// behind YIN and Praat's): for FastPitch's pitch targets. Good enough for clean synthetic speech;
// a frame is voiced when its best normalised correlation in the pitch range reaches a threshold.
#include <torch/torch.h>

namespace reef::tts {

struct PitchOptions {
  int sampleRate = 16000;
  int hop = 160;      // one value per mel frame: frames centred at t * hop
  int window = 1024;  // analysis window (64 ms at 16 kHz: two periods of 40 Hz)
  double minHz = 60, maxHz = 400;
  double voicedThreshold = 0.5;
};

// samples [T] -> F0 in Hz per frame [1 + T / hop], 0 where unvoiced.
torch::Tensor trackPitch(const torch::Tensor& samples, const PitchOptions& options = {});

}  // namespace reef::tts

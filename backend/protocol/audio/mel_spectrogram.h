#pragma once
// Log-mel spectrograms, torch-free: the mel filterbank both the engine (whose features run through
// torch::stft) and the studio's spectrogram view use, and a plain reference computation of the
// whole feature that the studio draws and the tests hold the engine's against.
#include <cstdint>
#include <vector>

namespace reef::protocol::audio {

struct MelOptions {
  int sampleRate = 16000;
  int nFft = 512;       // a power of two
  int winLength = 400;  // Hann window, centred in nFft
  int hop = 160;
  int nMels = 80;
  double fMin = 0;
  double fMax = 8000;  // <= sampleRate / 2
  // Logarithm floor: log(max(mel, floor)).
  double logFloor = 1e-5;
};

// Throws naming the option that is out of range.
void validate(const MelOptions& options);

// Slaney mel scale (linear below 1 kHz, logarithmic above) and area-normalised triangles, as
// librosa's default: row-major [nMels][nFft / 2 + 1].
std::vector<float> melFilterbank(const MelOptions& options);
double hzToMel(double hz);
double melToHz(double mel);

// Frames of a signal with centre padding (reflected): 1 + samples / hop.
int64_t frameCount(int64_t samples, const MelOptions& options);

// Row-major [frames][nMels] natural-log mel power, frames centred at t * hop with the signal
// reflected at both ends: the same definition as the engine's torch::stft path.
std::vector<float> logMelSpectrogram(const std::vector<float>& samples, const MelOptions& options);

}  // namespace reef::protocol::audio

#include "backend/protocol/audio/mel_spectrogram.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <stdexcept>
#include <string>

namespace reef::protocol::audio {

namespace {

constexpr double kPi = 3.14159265358979323846;

// In-place iterative radix-2 FFT.
void fft(std::vector<std::complex<double>>& a) {
  const size_t n = a.size();
  for (size_t i = 1, j = 0; i < n; ++i) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (size_t len = 2; len <= n; len <<= 1) {
    const std::complex<double> step = std::polar(1.0, -2 * kPi / static_cast<double>(len));
    for (size_t i = 0; i < n; i += len) {
      std::complex<double> w(1);
      for (size_t k = 0; k < len / 2; ++k, w *= step) {
        const auto u = a[i + k], v = a[i + k + len / 2] * w;
        a[i + k] = u + v;
        a[i + k + len / 2] = u - v;
      }
    }
  }
}

}  // namespace

void validate(const MelOptions& o) {
  auto fail = [](const std::string& what) { throw std::invalid_argument("mel spectrogram: " + what); };
  if (o.sampleRate <= 0) fail("sample_rate must be positive");
  if (o.nFft < 16 || (o.nFft & (o.nFft - 1)) != 0)
    fail("n_fft must be a power of two >= 16, got " + std::to_string(o.nFft));
  if (o.winLength <= 0 || o.winLength > o.nFft)
    fail("win_length must be in 1.." + std::to_string(o.nFft) + " (n_fft), got " + std::to_string(o.winLength));
  if (o.hop <= 0) fail("hop must be positive");
  if (o.nMels <= 0 || o.nMels > o.nFft / 2 + 1) fail("n_mels must be in 1.." + std::to_string(o.nFft / 2 + 1));
  if (o.fMin < 0 || o.fMax <= o.fMin || o.fMax > o.sampleRate / 2.0)
    fail("need 0 <= f_min < f_max <= sample_rate / 2 (" + std::to_string(o.sampleRate / 2) + " Hz)");
}

double hzToMel(double hz) {
  constexpr double fSp = 200.0 / 3, minLogHz = 1000, minLogMel = minLogHz / fSp, logStep = 0.06875177742094912;
  return hz < minLogHz ? hz / fSp : minLogMel + std::log(hz / minLogHz) / logStep;
}

double melToHz(double mel) {
  constexpr double fSp = 200.0 / 3, minLogHz = 1000, minLogMel = minLogHz / fSp, logStep = 0.06875177742094912;
  return mel < minLogMel ? mel * fSp : minLogHz * std::exp(logStep * (mel - minLogMel));
}

std::vector<float> melFilterbank(const MelOptions& o) {
  validate(o);
  const int bins = o.nFft / 2 + 1;
  std::vector<double> edges(static_cast<size_t>(o.nMels + 2));
  const double lo = hzToMel(o.fMin), hi = hzToMel(o.fMax);
  for (size_t i = 0; i < edges.size(); ++i)
    edges[i] = melToHz(lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(o.nMels + 1));
  std::vector<float> bank(static_cast<size_t>(o.nMels) * static_cast<size_t>(bins));
  for (int m = 0; m < o.nMels; ++m) {
    const double left = edges[static_cast<size_t>(m)], centre = edges[static_cast<size_t>(m + 1)],
                 right = edges[static_cast<size_t>(m + 2)];
    const double norm = 2.0 / (right - left);  // equal area, so wide high filters do not dominate
    for (int k = 0; k < bins; ++k) {
      const double f = static_cast<double>(k) * o.sampleRate / o.nFft;
      const double w = std::max(0.0, std::min((f - left) / (centre - left), (right - f) / (right - centre)));
      bank[static_cast<size_t>(m) * static_cast<size_t>(bins) + static_cast<size_t>(k)] = static_cast<float>(w * norm);
    }
  }
  return bank;
}

int64_t frameCount(int64_t samples, const MelOptions& o) { return 1 + samples / o.hop; }

std::vector<float> logMelSpectrogram(const std::vector<float>& samples, const MelOptions& o) {
  const auto bank = melFilterbank(o);
  const int bins = o.nFft / 2 + 1, pad = o.nFft / 2;
  const auto n = static_cast<int64_t>(samples.size());
  if (n <= pad)
    throw std::invalid_argument("mel spectrogram: the signal (" + std::to_string(n) +
                                " samples) is shorter than half a window (" + std::to_string(pad) + ")");
  // Periodic Hann window of winLength, centred in nFft.
  std::vector<double> window(static_cast<size_t>(o.nFft), 0.0);
  const int offset = (o.nFft - o.winLength) / 2;
  for (int i = 0; i < o.winLength; ++i)
    window[static_cast<size_t>(offset + i)] = 0.5 - 0.5 * std::cos(2 * kPi * i / o.winLength);
  auto sample = [&](int64_t i) {  // reflect padding
    if (i < 0) i = -i;
    if (i >= n) i = 2 * (n - 1) - i;
    return static_cast<double>(samples[static_cast<size_t>(i)]);
  };
  const int64_t frames = frameCount(n, o);
  std::vector<float> out(static_cast<size_t>(frames) * static_cast<size_t>(o.nMels));
  std::vector<std::complex<double>> buffer(static_cast<size_t>(o.nFft));
  std::vector<double> power(static_cast<size_t>(bins));
  for (int64_t t = 0; t < frames; ++t) {
    for (int i = 0; i < o.nFft; ++i)
      buffer[static_cast<size_t>(i)] = sample(t * o.hop - pad + i) * window[static_cast<size_t>(i)];
    fft(buffer);
    for (int k = 0; k < bins; ++k) power[static_cast<size_t>(k)] = std::norm(buffer[static_cast<size_t>(k)]);
    for (int m = 0; m < o.nMels; ++m) {
      double sum = 0;
      const float* row = &bank[static_cast<size_t>(m) * static_cast<size_t>(bins)];
      for (int k = 0; k < bins; ++k) sum += row[k] * power[static_cast<size_t>(k)];
      out[static_cast<size_t>(t) * static_cast<size_t>(o.nMels) + static_cast<size_t>(m)] =
          static_cast<float>(std::log(std::max(sum, o.logFloor)));
    }
  }
  return out;
}

}  // namespace reef::protocol::audio

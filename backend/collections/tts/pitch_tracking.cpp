#include "backend/collections/tts/pitch_tracking.h"

namespace reef::tts {

torch::Tensor trackPitch(const torch::Tensor& samples, const PitchOptions& o) {
  const int64_t frames = 1 + samples.size(0) / o.hop;
  const auto padded = torch::constant_pad_nd(samples.to(torch::kFloat32), {o.window / 2, o.window / 2});
  auto windows = padded.unfold(0, o.window, o.hop).narrow(0, 0, frames);  // [F, W]
  windows = windows - windows.mean(1, true);
  // Autocorrelation through the FFT (zero-padded to avoid wrap-around), normalised by energy.
  const auto spectrum = torch::fft_rfft(windows, 2 * o.window, 1);
  const auto corr = torch::fft_irfft(spectrum.abs().pow(2), 2 * o.window, 1).narrow(1, 0, o.window);
  const auto energy = corr.select(1, 0).clamp_min(1e-8).unsqueeze(1);
  const auto minLag = static_cast<int64_t>(o.sampleRate / o.maxHz),
             maxLag = static_cast<int64_t>(o.sampleRate / o.minHz);
  // Correlation at lag L covers only W - L samples: rescale so long lags are not penalised.
  const auto lags = torch::arange(minLag, maxLag + 1, torch::kFloat32);
  const auto normalised = corr.narrow(1, minLag, maxLag - minLag + 1) / energy * (o.window / (o.window - lags));
  // A periodic signal correlates at every multiple of its period: take the shortest lag whose
  // correlation is a local peak within 10% of the best, not the best itself (octave errors).
  const auto best = std::get<0>(normalised.max(1, true));
  const auto left = torch::constant_pad_nd(normalised, {1, 0}, -1).narrow(1, 0, normalised.size(1));
  const auto right = torch::constant_pad_nd(normalised, {0, 1}, -1).narrow(1, 1, normalised.size(1));
  const auto peak = (normalised >= left) & (normalised >= right) & (normalised >= 0.9 * best);
  const auto count = normalised.size(1);
  const auto first = (peak.to(torch::kFloat32) * (count - torch::arange(count, torch::kFloat32))).argmax(1);
  const auto f0 = o.sampleRate / (first.to(torch::kFloat32) + static_cast<double>(minLag));
  const auto voiced = best.squeeze(1) >= o.voicedThreshold;
  return torch::where(voiced, f0, torch::zeros_like(f0));
}

}  // namespace reef::tts

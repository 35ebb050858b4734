#include "backend/collections/tts/griffin_lim.h"

#include <ATen/CPUGeneratorImpl.h>

namespace reef::tts {

GriffinLim::GriffinLim(protocol::audio::MelOptions options, int iterations)
    : options_(options), iterations_(iterations) {
  const auto bank =
      torch::tensor(protocol::audio::melFilterbank(options_)).reshape({options_.nMels, options_.nFft / 2 + 1});
  inverse_ = torch::linalg_pinv(bank);
  window_ = torch::hann_window(options_.winLength, torch::TensorOptions().dtype(torch::kFloat32));
}

torch::Tensor GriffinLim::operator()(const torch::Tensor& logMel) const {
  torch::NoGradGuard noGrad;
  const auto mel = logMel.to(torch::kCPU, torch::kFloat32).exp().transpose(0, 1);  // [M, F]
  auto magnitude = torch::matmul(inverse_, mel).clamp_min(0).sqrt();               // [bins, F]
  // The inverse STFT needs a window's worth of frames: a one-letter text ("a.") gets silence after it.
  const int64_t minFrames = options_.nFft / options_.hop + 2;
  if (magnitude.size(1) < minFrames) magnitude = torch::constant_pad_nd(magnitude, {0, minFrames - magnitude.size(1)});
  const int64_t length = (magnitude.size(1) - 1) * options_.hop;
  auto stft = [&](const torch::Tensor& y) {
    return torch::stft(y, options_.nFft, options_.hop, options_.winLength, window_, true, "reflect", false, true, true);
  };
  auto istft = [&](const torch::Tensor& spectrum) {
    return torch::istft(spectrum, options_.nFft, options_.hop, options_.winLength, window_, true, false, true, length,
                        false);
  };
  // Random starting phases converge better than zeros; a generator of its own keeps synthesis
  // deterministic without touching the global one.
  auto generator = at::detail::createCPUGenerator(20261127);
  auto angles =
      torch::polar(torch::ones_like(magnitude), torch::rand(magnitude.sizes(), generator) * 6.283185307179586);
  torch::Tensor signal;
  for (int i = 0; i < iterations_; ++i) {
    signal = istft(magnitude * angles);
    const auto rebuilt = stft(signal);
    angles = rebuilt / rebuilt.abs().clamp_min(1e-8);
  }
  return istft(magnitude * angles);
}

}  // namespace reef::tts

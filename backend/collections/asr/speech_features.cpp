#include "backend/collections/asr/speech_features.h"

namespace reef::asr {

LogMelFeatures::LogMelFeatures(protocol::audio::MelOptions options) : options_(options) {
  const auto bank = protocol::audio::melFilterbank(options_);
  filterbank_ = torch::tensor(bank).reshape({options_.nMels, options_.nFft / 2 + 1});
  window_ = torch::hann_window(options_.winLength, torch::TensorOptions().dtype(torch::kFloat32));
}

torch::Tensor LogMelFeatures::powerMel(const torch::Tensor& audio) const {
  const auto spectrum = torch::stft(audio.to(torch::kFloat32), options_.nFft, options_.hop, options_.winLength,
                                    window_.to(audio.device()), /*center=*/true, "reflect", /*normalized=*/false,
                                    /*onesided=*/true, /*return_complex=*/true);
  const auto power = spectrum.abs().pow(2);  // [B, bins, F]
  return torch::matmul(filterbank_.to(audio.device()), power);
}

torch::Tensor LogMelFeatures::logMel(const torch::Tensor& samples) const {
  return powerMel(samples.unsqueeze(0)).clamp_min(options_.logFloor).log().squeeze(0).transpose(0, 1);
}

std::pair<torch::Tensor, torch::Tensor> LogMelFeatures::operator()(const torch::Tensor& audio,
                                                                   const torch::Tensor& lengths, bool normalise) const {
  auto features = powerMel(audio).clamp_min(options_.logFloor).log();  // [B, M, F]
  const auto frames = torch::div(lengths, options_.hop, "floor") + 1;
  const auto valid = torch::arange(features.size(2), lengths.options()).unsqueeze(0) < frames.unsqueeze(1);  // [B, F]
  const auto mask = valid.unsqueeze(1).to(features.dtype());
  if (normalise) {
    const auto count = frames.to(features.dtype()).view({-1, 1, 1});
    const auto mean = (features * mask).sum(2, true) / count;
    const auto var = ((features - mean).pow(2) * mask).sum(2, true) / (count - 1).clamp_min(1);
    features = (features - mean) / (var.sqrt() + 1e-5);
  }
  return {features * mask, frames};
}

void specAugment(torch::Tensor& features, const torch::Tensor& lengths, const SpecAugmentOptions& o) {
  const int64_t batch = features.size(0), mels = features.size(1);
  if (o.freqWarp > 0) {
    // Channel m reads the input at m / alpha, linearly interpolated (clamped at the top channel).
    const auto alpha = 1 + (torch::rand({batch, 1}, features.options()) * 2 - 1) * o.freqWarp;
    const auto source = (torch::arange(mels, features.options()).unsqueeze(0) / alpha).clamp(0, mels - 1);  // [B, M]
    const auto low = source.floor().to(torch::kInt64);
    const auto high = (low + 1).clamp_max(mels - 1);
    const auto frac = (source - low.to(features.dtype())).unsqueeze(2);
    const auto expand = [&](const torch::Tensor& index) {
      return index.unsqueeze(2).expand({batch, mels, features.size(2)});
    };
    features = features.gather(1, expand(low)) * (1 - frac) + features.gather(1, expand(high)) * frac;
  }
  const auto frames = lengths.to(torch::kCPU);
  for (int64_t b = 0; b < batch; ++b) {
    for (int i = 0; i < o.freqMasks; ++i) {
      const int64_t width = torch::randint(0, o.freqWidth + 1, {1}).item<int64_t>();
      const int64_t start = torch::randint(0, std::max<int64_t>(1, mels - width), {1}).item<int64_t>();
      features[b].narrow(0, start, std::min(width, mels - start)).zero_();
    }
    const int64_t n = frames[b].item<int64_t>();
    const auto maxWidth = static_cast<int64_t>(o.timeWidth * static_cast<double>(n));
    for (int i = 0; i < o.timeMasks && maxWidth > 0; ++i) {
      const int64_t width = torch::randint(0, maxWidth + 1, {1}).item<int64_t>();
      const int64_t start = torch::randint(0, std::max<int64_t>(1, n - width), {1}).item<int64_t>();
      features[b].narrow(1, start, std::min(width, n - start)).zero_();
    }
  }
}

}  // namespace reef::asr

#include "backend/collections/tts/fastpitch.h"

#include "backend/collections/asr/acoustic_network.h"
#include "backend/collections/common/self_attention.h"

#include <cmath>
#include <stdexcept>

namespace reef::tts {

namespace F = torch::nn::functional;

namespace {

torch::Tensor positions(int64_t length, int64_t dim, const torch::TensorOptions& options) {
  const auto position = torch::arange(length, options).unsqueeze(1);
  const auto rate = torch::exp(torch::arange(0, dim, 2, options) * (-std::log(10000.0) / static_cast<double>(dim)));
  return torch::cat({torch::sin(position * rate), torch::cos(position * rate)}, 1);
}

torch::Tensor runBlocks(torch::nn::ModuleList& blocks, torch::Tensor x, const torch::Tensor& valid) {
  for (const auto& block : *blocks) x = block->as<FftBlockImpl>()->forward(x, valid);
  return x;
}

}  // namespace

FftBlockImpl::FftBlockImpl(const FastPitchOptions& o) : heads_(o.heads), dropout_(o.dropout) {
  norm1_ = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim})));
  qkv_ = register_module("qkv", torch::nn::Linear(o.dim, 3 * o.dim));
  proj_ = register_module("proj", torch::nn::Linear(o.dim, o.dim));
  norm2_ = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({o.dim})));
  conv1_ = register_module(
      "conv1", torch::nn::Conv1d(torch::nn::Conv1dOptions(o.dim, o.convHidden, o.kernel).padding(o.kernel / 2)));
  conv2_ = register_module(
      "conv2", torch::nn::Conv1d(torch::nn::Conv1dOptions(o.convHidden, o.dim, o.kernel).padding(o.kernel / 2)));
}

torch::Tensor FftBlockImpl::forward(const torch::Tensor& input, const torch::Tensor& valid) {
  const auto drop = [&](const torch::Tensor& w) {
    return F::dropout(w, F::DropoutFuncOptions().p(dropout_).training(is_training()));
  };
  const auto mask = valid.unsqueeze(2).to(input.dtype());
  const auto x =
      input + drop(proj_(collections::selfAttention(qkv_(norm1_(input)), valid.logical_not(), heads_, drop)));
  const auto h = conv2_(torch::relu(conv1_((norm2_(x) * mask).transpose(1, 2)))).transpose(1, 2);
  return (x + drop(h)) * mask;
}

VariancePredictorImpl::VariancePredictorImpl(int64_t dim, int64_t kernel, double dropout) : dropout_(dropout) {
  conv1_ = register_module("conv1", torch::nn::Conv1d(torch::nn::Conv1dOptions(dim, dim, kernel).padding(kernel / 2)));
  norm1_ = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  conv2_ = register_module("conv2", torch::nn::Conv1d(torch::nn::Conv1dOptions(dim, dim, kernel).padding(kernel / 2)));
  norm2_ = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
  out_ = register_module("out", torch::nn::Linear(dim, 1));
}

torch::Tensor VariancePredictorImpl::forward(const torch::Tensor& x, const torch::Tensor& valid) {
  const auto drop = F::DropoutFuncOptions().p(dropout_).training(is_training());
  const auto mask = valid.unsqueeze(2).to(x.dtype());
  auto h = F::dropout(norm1_(torch::relu(conv1_((x * mask).transpose(1, 2))).transpose(1, 2)), drop);
  h = F::dropout(norm2_(torch::relu(conv2_((h * mask).transpose(1, 2))).transpose(1, 2)), drop);
  return out_(h).squeeze(2) * valid.to(x.dtype());
}

FastPitchImpl::FastPitchImpl(const FastPitchOptions& o) : options_(o) {
  if (o.dim % (2 * o.heads) != 0)
    throw std::invalid_argument("model.dim (" + std::to_string(o.dim) + ") must be a multiple of 2 * model.heads");
  embedding_ =
      register_module("embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(o.symbols, o.dim).padding_idx(0)));
  encoder_ = register_module("encoder", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.encoderLayers; ++i) encoder_->push_back(FftBlock(o));
  durationPredictor_ = register_module("duration_predictor", VariancePredictor(o.dim, o.kernel, o.dropout));
  pitchPredictor_ = register_module("pitch_predictor", VariancePredictor(o.dim, o.kernel, o.dropout));
  pitchEmbedding_ =
      register_module("pitch_embedding", torch::nn::Conv1d(torch::nn::Conv1dOptions(1, o.dim, 3).padding(1)));
  decoder_ = register_module("decoder", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.decoderLayers; ++i) decoder_->push_back(FftBlock(o));
  melProjection_ = register_module("mel_projection", torch::nn::Linear(o.dim, o.mels));
}

FastPitchOutput FastPitchImpl::forward(const torch::Tensor& text, const torch::Tensor& textLength,
                                       const torch::Tensor& durations, const torch::Tensor& pitch, double pace) {
  FastPitchOutput out;
  const auto textValid = asr::validFrames(textLength, text.size(1));
  auto x = embedding_(text) * std::sqrt(static_cast<double>(options_.dim));
  x = runBlocks(encoder_, x + positions(text.size(1), options_.dim, x.options()), textValid);
  out.logDuration = durationPredictor_(x, textValid);
  out.pitch = pitchPredictor_(x, textValid);
  const auto usedPitch = pitch.defined() ? pitch : out.pitch.detach();
  x = x + pitchEmbedding_(usedPitch.unsqueeze(1)).transpose(1, 2);
  torch::Tensor frames = durations;
  if (!frames.defined())
    frames = torch::clamp_min(torch::round((torch::exp(out.logDuration.detach()) - 1) / pace), 1).to(torch::kInt64) *
             textValid.to(torch::kInt64);
  // Length regulation: each character's vector repeated for its frames, utterances padded to the
  // longest.
  const auto total = frames.sum(1);
  const int64_t longest = std::max<int64_t>(1, total.max().item<int64_t>());
  std::vector<torch::Tensor> expanded;
  for (int64_t b = 0; b < text.size(0); ++b) {
    auto e = torch::repeat_interleave(x[b], frames[b], 0);
    expanded.push_back(torch::constant_pad_nd(e, {0, 0, 0, longest - e.size(0)}));
  }
  auto y = torch::stack(expanded);
  const auto frameValid = asr::validFrames(total, longest);
  y = runBlocks(decoder_, y + positions(longest, options_.dim, y.options()), frameValid);
  out.mel = melProjection_(y);
  out.frames = total;
  return out;
}

}  // namespace reef::tts

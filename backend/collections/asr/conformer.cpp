#include "backend/collections/asr/conformer.h"

#include "backend/collections/common/self_attention.h"

#include <cmath>
#include <stdexcept>

namespace reef::asr {

namespace F = torch::nn::functional;

namespace {

torch::nn::Sequential makeFeedForward(int64_t dim, int64_t hidden, double dropout) {
  return torch::nn::Sequential(torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})), torch::nn::Linear(dim, hidden),
                               torch::nn::SiLU(), torch::nn::Dropout(dropout), torch::nn::Linear(hidden, dim));
}

torch::Tensor sinusoids(int64_t length, int64_t dim, const torch::TensorOptions& options) {
  const auto position = torch::arange(length, options).unsqueeze(1);
  const auto rate = torch::exp(torch::arange(0, dim, 2, options) * (-std::log(10000.0) / static_cast<double>(dim)));
  auto table = torch::zeros({length, dim}, options);
  table.index_put_({torch::indexing::Slice(), torch::indexing::Slice(0, torch::indexing::None, 2)},
                   torch::sin(position * rate));
  table.index_put_({torch::indexing::Slice(), torch::indexing::Slice(1, torch::indexing::None, 2)},
                   torch::cos(position * rate).narrow(1, 0, dim / 2));
  return table;
}

}  // namespace

ConformerBlockImpl::ConformerBlockImpl(const ConformerOptions& o) : heads_(o.heads), dropout_(o.dropout) {
  const int64_t d = o.dim;
  ff1_ = register_module("ff1", makeFeedForward(d, d * o.ffMultiplier, o.dropout));
  ff2_ = register_module("ff2", makeFeedForward(d, d * o.ffMultiplier, o.dropout));
  attnNorm_ = register_module("attn_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  qkv_ = register_module("qkv", torch::nn::Linear(d, 3 * d));
  proj_ = register_module("proj", torch::nn::Linear(d, d));
  convNorm_ = register_module("conv_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
  pointwise1_ = register_module("conv_pointwise1", torch::nn::Conv1d(d, 2 * d, 1));
  depthwise_ = register_module(
      "conv_depthwise",
      torch::nn::Conv1d(torch::nn::Conv1dOptions(d, d, o.convKernel).padding(o.convKernel / 2).groups(d)));
  convBatchNorm_ = register_module("conv_batch_norm", torch::nn::BatchNorm1d(d));
  pointwise2_ = register_module("conv_pointwise2", torch::nn::Conv1d(d, d, 1));
  outNorm_ = register_module("out_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d})));
}

torch::Tensor ConformerBlockImpl::feedForward(torch::nn::Sequential& ff, const torch::Tensor& x) {
  return F::dropout(ff->forward(x), F::DropoutFuncOptions().p(dropout_).training(is_training()));
}

torch::Tensor ConformerBlockImpl::attention(const torch::Tensor& x, const torch::Tensor& valid) {
  const auto drop = [&](const torch::Tensor& w) {
    return F::dropout(w, F::DropoutFuncOptions().p(dropout_).training(is_training()));
  };
  return drop(proj_(collections::selfAttention(qkv_(attnNorm_(x)), valid.logical_not(), heads_, drop)));
}

torch::Tensor ConformerBlockImpl::convolution(const torch::Tensor& x, const torch::Tensor& valid) {
  const auto mask = valid.unsqueeze(1).to(x.dtype());
  auto y = F::glu(pointwise1_(convNorm_(x).transpose(1, 2)), F::GLUFuncOptions(1)) * mask;
  y = torch::silu(convBatchNorm_(depthwise_(y))) * mask;
  return F::dropout(pointwise2_(y).transpose(1, 2), F::DropoutFuncOptions().p(dropout_).training(is_training()));
}

torch::Tensor ConformerBlockImpl::forward(const torch::Tensor& input, const torch::Tensor& valid) {
  auto x = input + 0.5 * feedForward(ff1_, input);
  x = x + attention(x, valid);
  x = x + convolution(x, valid);
  x = x + 0.5 * feedForward(ff2_, x);
  return outNorm_(x);
}

ConformerImpl::ConformerImpl(const ConformerOptions& o) : options_(o) {
  if (o.subsampling != 2 && o.subsampling != 4)
    throw std::invalid_argument("model.subsampling must be 2 or 4, got " + std::to_string(o.subsampling));
  if (o.dim % o.heads != 0 || (o.dim / o.heads) % 2 != 0)
    throw std::invalid_argument("model.dim (" + std::to_string(o.dim) + ") must be a multiple of 2 * model.heads (" +
                                std::to_string(o.heads) + ")");
  const int64_t c = o.dim;
  sub1_ = register_module("subsample1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, c, 3).stride(2).padding(1)));
  int64_t mels = (o.mels + 1) / 2;
  if (o.subsampling == 4) {
    sub2_ = register_module("subsample2", torch::nn::Conv2d(torch::nn::Conv2dOptions(c, c, 3).stride(2).padding(1)));
    mels = (mels + 1) / 2;
  }
  subProj_ = register_module("subsample_proj", torch::nn::Linear(c * mels, o.dim));
  blocks_ = register_module("blocks", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.layers; ++i) blocks_->push_back(ConformerBlock(o));
  classifier_ = register_module("classifier", torch::nn::Linear(o.dim, o.labels));
}

double ConformerImpl::macsPerOutputFrame() const {
  const double d = static_cast<double>(options_.dim);
  const double block = 2 * 2 * d * d * static_cast<double>(options_.ffMultiplier) + 4 * d * d + 3 * d * d +
                       d * static_cast<double>(options_.convKernel);
  return static_cast<double>(options_.layers) * block + d * static_cast<double>(options_.labels) +
         static_cast<double>(subProj_->weight.numel());
}

std::pair<torch::Tensor, torch::Tensor> ConformerImpl::forward(const torch::Tensor& features,
                                                               const torch::Tensor& frames) {
  auto x = torch::relu(sub1_(features.transpose(1, 2).unsqueeze(1)));  // [B, C, T/2, M/2]
  auto lengths = torch::div(frames + 1, 2, "floor");
  if (sub2_) {
    x = torch::relu(sub2_(x));
    lengths = torch::div(lengths + 1, 2, "floor");
  }
  x = subProj_(x.transpose(1, 2).flatten(2));  // [B, T', D]
  x = x * std::sqrt(static_cast<double>(options_.dim)) + sinusoids(x.size(1), options_.dim, x.options());
  x = F::dropout(x, F::DropoutFuncOptions().p(options_.dropout).training(is_training()));
  const auto valid = validFrames(lengths, x.size(1));
  for (const auto& block : *blocks_) x = block->as<ConformerBlockImpl>()->forward(x, valid);
  return {classifier_(x), lengths};
}

}  // namespace reef::asr

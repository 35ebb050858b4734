#include "backend/collections/asr/quartznet.h"

namespace reef::asr {

namespace F = torch::nn::functional;

torch::Tensor validFrames(const torch::Tensor& lengths, int64_t frames) {
  return torch::arange(frames, lengths.options()).unsqueeze(0) < lengths.unsqueeze(1);
}

QuartzNetImpl::QuartzNetImpl(const QuartzNetOptions& o) : options_(o) {
  const int64_t c = o.channels;
  prologue_ = separable("prologue", o.mels, c, 2 * o.kernel + 1, 2);
  for (int64_t b = 0; b < o.blocks; ++b) {
    const int64_t kernel = (o.kernel + b * o.kernelGrowth) | 1;
    std::vector<SubBlock> subs;
    for (int64_t r = 0; r < o.repeat; ++r)
      subs.push_back(separable("block" + std::to_string(b) + "_" + std::to_string(r), c, c, kernel, 1));
    blocks_.push_back(std::move(subs));
    residual_.push_back(register_module("block" + std::to_string(b) + "_residual",
                                        torch::nn::Conv1d(torch::nn::Conv1dOptions(c, c, 1).bias(false))));
    residualNorm_.push_back(register_module("block" + std::to_string(b) + "_residual_norm", torch::nn::BatchNorm1d(c)));
    macs_ += static_cast<double>(o.repeat * (c * kernel + c * c) + c * c);
  }
  epilogue_ = register_module("epilogue", torch::nn::Conv1d(torch::nn::Conv1dOptions(c, o.epilogue, 1).bias(false)));
  epilogueNorm_ = register_module("epilogue_norm", torch::nn::BatchNorm1d(o.epilogue));
  classifier_ = register_module("classifier", torch::nn::Conv1d(torch::nn::Conv1dOptions(o.epilogue, o.labels, 1)));
  macs_ += static_cast<double>(o.mels * (2 * o.kernel + 1) + o.mels * c + c * o.epilogue + o.epilogue * o.labels);
}

QuartzNetImpl::SubBlock QuartzNetImpl::separable(const std::string& name, int64_t in, int64_t out, int64_t kernel,
                                                 int64_t stride) {
  SubBlock s;
  s.depthwise = register_module(
      name + "_depthwise",
      torch::nn::Conv1d(
          torch::nn::Conv1dOptions(in, in, kernel).stride(stride).padding(kernel / 2).groups(in).bias(false)));
  s.pointwise =
      register_module(name + "_pointwise", torch::nn::Conv1d(torch::nn::Conv1dOptions(in, out, 1).bias(false)));
  s.norm = register_module(name + "_norm", torch::nn::BatchNorm1d(out));
  return s;
}

torch::Tensor QuartzNetImpl::apply(SubBlock& s, const torch::Tensor& x) const {
  return s.norm(s.pointwise(s.depthwise(x)));
}

std::pair<torch::Tensor, torch::Tensor> QuartzNetImpl::forward(const torch::Tensor& features,
                                                               const torch::Tensor& frames) {
  const auto lengths = torch::div(frames + 1, 2, "floor");  // stride 2, padding kernel/2
  auto x = torch::relu(apply(prologue_, features));
  // Padding frames are zeroed after every layer so that no statistic or kernel reads past an
  // utterance's end differently in a batch than alone.
  const auto mask = validFrames(lengths, x.size(2)).unsqueeze(1).to(x.dtype());
  x = x * mask;
  for (size_t b = 0; b < blocks_.size(); ++b) {
    const auto input = x;
    for (size_t r = 0; r < blocks_[b].size(); ++r) {
      x = apply(blocks_[b][r], x);
      if (r + 1 == blocks_[b].size()) x = x + residualNorm_[b](residual_[b](input));
      x = F::dropout(torch::relu(x), F::DropoutFuncOptions().p(options_.dropout).training(is_training())) * mask;
    }
  }
  x = torch::relu(epilogueNorm_(epilogue_(x))) * mask;
  return {classifier_(x).transpose(1, 2), lengths};
}

}  // namespace reef::asr

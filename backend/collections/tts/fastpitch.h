#pragma once
// FastPitch (Łańcucki 2021), non-autoregressive text to mel: a transformer encoder over the
// characters; per character a duration predictor (log frames) and a pitch predictor (normalised
// F0), the pitch embedded and added back; the length regulator repeats each character's vector
// for its frames; a transformer decoder over the frames and a linear layer to the mel channels.
// Training uses the true durations and pitch (teacher forcing); synthesis the predicted ones.
#include <torch/torch.h>

namespace reef::tts {

struct FastPitchOptions {
  int64_t symbols = 29, mels = 80;
  int64_t dim = 192, encoderLayers = 4, decoderLayers = 4, heads = 2, convHidden = 768, kernel = 3;
  double dropout = 0.1;
};

// Pre-norm transformer block with a convolutional feed-forward (FastPitch's FFT block).
class FftBlockImpl : public torch::nn::Module {
 public:
  FftBlockImpl(const FastPitchOptions& options);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& valid);  // [B, T, D], [B, T] bool

 private:
  int64_t heads_;
  double dropout_;
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
  torch::nn::Linear qkv_{nullptr}, proj_{nullptr};
  torch::nn::Conv1d conv1_{nullptr}, conv2_{nullptr};
};
TORCH_MODULE(FftBlock);

// Two convolutions with ReLU and LayerNorm, one value per character (FastPitch's predictors).
class VariancePredictorImpl : public torch::nn::Module {
 public:
  VariancePredictorImpl(int64_t dim, int64_t kernel, double dropout);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& valid);  // -> [B, T]

 private:
  double dropout_;
  torch::nn::Conv1d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::LayerNorm norm1_{nullptr}, norm2_{nullptr};
  torch::nn::Linear out_{nullptr};
};
TORCH_MODULE(VariancePredictor);

struct FastPitchOutput {
  torch::Tensor mel;          // [B, F, n_mels]
  torch::Tensor frames;       // [B] valid frames
  torch::Tensor logDuration;  // [B, T] predicted log(1 + frames)
  torch::Tensor pitch;        // [B, T] predicted normalised pitch
};

class FastPitchImpl : public torch::nn::Module {
 public:
  explicit FastPitchImpl(const FastPitchOptions& options);
  // text [B, T] (0-padded), textLength [B]; durations/pitch [B, T]: the targets in training, or
  // undefined to use the predictions (synthesis; `pace` > 1 speaks faster).
  FastPitchOutput forward(const torch::Tensor& text, const torch::Tensor& textLength,
                          const torch::Tensor& durations = {}, const torch::Tensor& pitch = {}, double pace = 1.0);

 private:
  FastPitchOptions options_;
  torch::nn::Embedding embedding_{nullptr};
  torch::nn::ModuleList encoder_{nullptr}, decoder_{nullptr};
  VariancePredictor durationPredictor_{nullptr}, pitchPredictor_{nullptr};
  torch::nn::Conv1d pitchEmbedding_{nullptr};
  torch::nn::Linear melProjection_{nullptr};
};
TORCH_MODULE(FastPitch);

}  // namespace reef::tts

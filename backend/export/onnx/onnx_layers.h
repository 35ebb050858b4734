#pragma once
// Layers as ONNX nodes, written from a trained module's weights (looked up by their checkpoint
// names): what the collections' ONNX exporters share, so that a transformer block, a linear layer
// or a LayerNorm is written one way for every network.
#include "backend/export/onnx/onnx_graph.h"

#include <torch/torch.h>

#include <map>
#include <string>

namespace reef::exporting {

class OnnxLayers {
 public:
  OnnxLayers(torch::nn::Module& module, OnnxGraph& graph);

  torch::Tensor weight(const std::string& name) const;
  bool has(const std::string& name) const { return state_.count(name) > 0; }
  // The weight `name` as a graph constant.
  std::string w(const std::string& name) { return g_.constant(name, weight(name)); }
  OnnxGraph& graph() { return g_; }

  // A 1-D or 2-D convolution (from the weight's rank), `groups` as torch's (depthwise: channels).
  std::string conv(const std::string& x, const std::string& prefix, int64_t stride, int64_t pad, int64_t groups = 1);
  std::string batchNorm(const std::string& x, const std::string& prefix, float epsilon = 1e-5f);
  // A torch::nn::Sequential of Conv2d, BatchNorm2d, ReLU and MaxPool2d layers, its weights under
  // `prefix` (e.g. "image_encoder.layers"); throws naming a layer of another kind.
  std::string sequential(const std::string& x, torch::nn::Sequential& layers, const std::string& prefix);
  // x / max(|x|, 1e-12) along the last axis, as torch::nn::functional::normalize.
  std::string l2Normalize(const std::string& x);
  std::string relu(const std::string& x) { return g_.node("Relu", {x}); }
  // [B, in] -> [B, out]
  std::string gemm(const std::string& x, const std::string& prefix);
  // [..., in] -> [..., out]
  std::string linear(const std::string& x, const std::string& prefix);
  std::string layerNorm(const std::string& x, const std::string& prefix);
  // torch::gelu's exact form: x/2 (1 + erf(x / sqrt 2)).
  std::string gelu(const std::string& x);
  std::string scalarIndex(int64_t i) { return g_.constant("index", torch::tensor(i, torch::kInt64)); }
  // Multi-head self-attention on x [B, N, D] (already normed): the fused projection `qkv` split as
  // [3, heads, head_dim], softmax over the keys, then `proj`. `additiveMask` [B, 1, 1, N] (0 or
  // -1e9, added to the scores) or empty.
  std::string attention(const std::string& x, const std::string& qkv, const std::string& proj, int64_t heads,
                        const std::string& additiveMask = {});
  // A pre-norm transformer encoder block `prefix` (norm1, qkv, proj, norm2, fc1, fc2) on x [B, N, D].
  std::string encoderBlock(const std::string& x, const std::string& prefix, int64_t heads,
                           const std::string& additiveMask = {});

 private:
  OnnxGraph& g_;
  std::map<std::string, torch::Tensor> state_;
};

}  // namespace reef::exporting

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

  std::string conv(const std::string& x, const std::string& prefix, int64_t stride, int64_t pad);
  std::string batchNorm(const std::string& x, const std::string& prefix);
  std::string relu(const std::string& x) { return g_.node("Relu", {x}); }
  // [B, in] -> [B, out]
  std::string gemm(const std::string& x, const std::string& prefix);
  // [..., in] -> [..., out]
  std::string linear(const std::string& x, const std::string& prefix);
  std::string layerNorm(const std::string& x, const std::string& prefix);
  // torch::gelu's exact form: x/2 (1 + erf(x / sqrt 2)).
  std::string gelu(const std::string& x);
  std::string scalarIndex(int64_t i) { return g_.constant("index", torch::tensor(i, torch::kInt64)); }
  // A pre-norm transformer encoder block `prefix` (norm1, qkv, proj, norm2, fc1, fc2) on x [B, N, D];
  // `additiveMask` [B, 1, 1, N] (0 or -1e9, added to the attention scores) or empty.
  std::string encoderBlock(const std::string& x, const std::string& prefix, int64_t heads,
                           const std::string& additiveMask = {});

 private:
  OnnxGraph& g_;
  std::map<std::string, torch::Tensor> state_;
};

}  // namespace reef::exporting

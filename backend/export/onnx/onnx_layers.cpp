#include "backend/export/onnx/onnx_layers.h"

#include <cmath>
#include <stdexcept>

namespace reef::exporting {

OnnxLayers::OnnxLayers(torch::nn::Module& module, OnnxGraph& graph) : g_(graph) {
  for (const auto& p : module.named_parameters()) state_.emplace(p.key(), p.value());
  for (const auto& b : module.named_buffers()) state_.emplace(b.key(), b.value());
}

torch::Tensor OnnxLayers::weight(const std::string& name) const {
  auto it = state_.find(name);
  if (it == state_.end()) throw std::runtime_error("the network has no tensor '" + name + "' (an exporter bug)");
  return it->second;
}

std::string OnnxLayers::conv(const std::string& x, const std::string& prefix, int64_t stride, int64_t pad) {
  const torch::Tensor k = weight(prefix + ".weight");
  std::vector<std::string> inputs{x, w(prefix + ".weight")};
  if (has(prefix + ".bias")) inputs.push_back(w(prefix + ".bias"));
  return g_.node("Conv", inputs,
                 {{"kernel_shape", std::vector<int64_t>{k.size(2), k.size(3)}},
                  {"strides", std::vector<int64_t>{stride, stride}},
                  {"pads", std::vector<int64_t>{pad, pad, pad, pad}}});
}

std::string OnnxLayers::batchNorm(const std::string& x, const std::string& prefix) {
  return g_.node(
      "BatchNormalization",
      {x, w(prefix + ".weight"), w(prefix + ".bias"), w(prefix + ".running_mean"), w(prefix + ".running_var")},
      {{"epsilon", 1e-5f}});
}

std::string OnnxLayers::gemm(const std::string& x, const std::string& prefix) {
  return g_.node("Gemm", {x, w(prefix + ".weight"), w(prefix + ".bias")}, {{"transB", int64_t(1)}});
}

std::string OnnxLayers::linear(const std::string& x, const std::string& prefix) {
  const std::string transposed = g_.constant(prefix + ".weight_t", weight(prefix + ".weight").t());
  return g_.node("Add", {g_.node("MatMul", {x, transposed}), w(prefix + ".bias")});
}

std::string OnnxLayers::layerNorm(const std::string& x, const std::string& prefix) {
  return g_.node("LayerNormalization", {x, w(prefix + ".weight"), w(prefix + ".bias")},
                 {{"axis", int64_t(-1)}, {"epsilon", 1e-5f}});
}

std::string OnnxLayers::gelu(const std::string& x) {
  const std::string e = g_.node("Erf", {g_.node("Div", {x, g_.constant("sqrt2", torch::tensor(std::sqrt(2.0f)))})});
  const std::string onePlus = g_.node("Add", {e, g_.constant("one", torch::tensor(1.0f))});
  return g_.node("Mul", {g_.node("Mul", {x, onePlus}), g_.constant("half", torch::tensor(0.5f))});
}

std::string OnnxLayers::encoderBlock(const std::string& x, const std::string& p, int64_t heads,
                                     const std::string& additiveMask) {
  const int64_t dim = weight(p + ".proj.weight").size(0), headDim = dim / heads;
  // [B, N, 3D] -> [3, B, H, N, hd]
  std::string qkv =
      g_.node("Reshape", {linear(layerNorm(x, p + ".norm1"), p + ".qkv"), g_.ints("shape", {0, 0, 3, heads, headDim})});
  qkv = g_.node("Transpose", {qkv}, {{"perm", std::vector<int64_t>{2, 0, 3, 1, 4}}});
  const std::string q = g_.node("Gather", {qkv, scalarIndex(0)}, {{"axis", int64_t(0)}});
  const std::string k = g_.node("Gather", {qkv, scalarIndex(1)}, {{"axis", int64_t(0)}});
  const std::string v = g_.node("Gather", {qkv, scalarIndex(2)}, {{"axis", int64_t(0)}});
  std::string scores = g_.node("MatMul", {q, g_.node("Transpose", {k}, {{"perm", std::vector<int64_t>{0, 1, 3, 2}}})});
  scores =
      g_.node("Div", {scores, g_.constant("scale", torch::tensor(static_cast<float>(std::sqrt(double(headDim)))))});
  if (!additiveMask.empty()) scores = g_.node("Add", {scores, additiveMask});
  std::string mixed = g_.node("MatMul", {g_.node("Softmax", {scores}, {{"axis", int64_t(-1)}}), v});
  mixed = g_.node("Transpose", {mixed}, {{"perm", std::vector<int64_t>{0, 2, 1, 3}}});
  mixed = g_.node("Reshape", {mixed, g_.ints("shape", {0, 0, dim})});
  const std::string y = g_.node("Add", {x, linear(mixed, p + ".proj")});
  const std::string h = linear(gelu(linear(layerNorm(y, p + ".norm2"), p + ".fc1")), p + ".fc2");
  return g_.node("Add", {y, h});
}

}  // namespace reef::exporting

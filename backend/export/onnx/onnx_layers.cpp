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

std::string OnnxLayers::conv(const std::string& x, const std::string& prefix, int64_t stride, int64_t pad,
                             int64_t groups) {
  const torch::Tensor k = weight(prefix + ".weight");
  std::vector<std::string> inputs{x, w(prefix + ".weight")};
  if (has(prefix + ".bias")) inputs.push_back(w(prefix + ".bias"));
  const auto spatial = static_cast<size_t>(k.dim() - 2);  // 1 or 2
  return g_.node("Conv", inputs,
                 {{"kernel_shape", std::vector<int64_t>(k.sizes().begin() + 2, k.sizes().end())},
                  {"strides", std::vector<int64_t>(spatial, stride)},
                  {"pads", std::vector<int64_t>(2 * spatial, pad)},
                  {"group", groups}});
}

std::string OnnxLayers::batchNorm(const std::string& x, const std::string& prefix, float epsilon) {
  return g_.node(
      "BatchNormalization",
      {x, w(prefix + ".weight"), w(prefix + ".bias"), w(prefix + ".running_mean"), w(prefix + ".running_var")},
      {{"epsilon", epsilon}});
}

namespace {

// The one value of a square size option; a layer with another shape is not written wrong but refused.
int64_t square(const torch::ExpandingArray<2>& a, const std::string& layer) {
  if ((*a)[0] != (*a)[1])
    throw std::runtime_error("'" + layer + "': only square kernels, strides and padding are written");
  return (*a)[0];
}

void requireDefault(bool isDefault, const std::string& layer, const char* what) {
  if (!isDefault) throw std::runtime_error("'" + layer + "': " + what + " is not written as ONNX (an exporter gap)");
}

}  // namespace

std::string OnnxLayers::sequential(const std::string& input, torch::nn::Sequential& layers, const std::string& prefix) {
  std::string x = input;
  for (const auto& item : layers->named_children()) {
    const std::string p = prefix + "." + item.key();
    torch::nn::Module& layer = *item.value();
    if (auto* c = dynamic_cast<torch::nn::Conv2dImpl*>(&layer)) {
      const auto* padding = c10::get_if<torch::ExpandingArray<2>>(&c->options.padding());
      requireDefault(padding && square(c->options.dilation(), p) == 1, p, "'same' padding or dilation");
      x = conv(x, p, square(c->options.stride(), p), square(*padding, p), c->options.groups());
    } else if (auto* b = dynamic_cast<torch::nn::BatchNorm2dImpl*>(&layer)) {
      x = batchNorm(x, p, static_cast<float>(b->options.eps()));
    } else if (dynamic_cast<torch::nn::ReLUImpl*>(&layer)) {
      x = relu(x);
    } else if (auto* m = dynamic_cast<torch::nn::MaxPool2dImpl*>(&layer)) {
      requireDefault(
          square(m->options.padding(), p) == 0 && square(m->options.dilation(), p) == 1 && !m->options.ceil_mode(), p,
          "max-pool padding, dilation or ceil mode");
      const int64_t kernel = square(m->options.kernel_size(), p), stride = square(m->options.stride(), p);
      x = g_.node(
          "MaxPool", {x},
          {{"kernel_shape", std::vector<int64_t>{kernel, kernel}}, {"strides", std::vector<int64_t>{stride, stride}}});
    } else {
      throw std::runtime_error("'" + p + "' (" + layer.name() + ") has no ONNX writer (an exporter bug)");
    }
  }
  return x;
}

std::string OnnxLayers::l2Normalize(const std::string& x) {
  const std::string norm = g_.node("ReduceL2", {x}, {{"axes", std::vector<int64_t>{-1}}, {"keepdims", int64_t(1)}});
  return g_.node("Div", {x, g_.node("Max", {norm, g_.constant("epsilon", torch::tensor(1e-12f))})});
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

std::string OnnxLayers::attention(const std::string& x, const std::string& qkvPrefix, const std::string& proj,
                                  int64_t heads, const std::string& additiveMask) {
  const int64_t dim = weight(proj + ".weight").size(0), headDim = dim / heads;
  // [B, N, 3D] -> [3, B, H, N, hd]
  std::string qkv = g_.node("Reshape", {linear(x, qkvPrefix), g_.ints("shape", {0, 0, 3, heads, headDim})});
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
  return linear(g_.node("Reshape", {mixed, g_.ints("shape", {0, 0, dim})}), proj);
}

std::string OnnxLayers::encoderBlock(const std::string& x, const std::string& p, int64_t heads,
                                     const std::string& additiveMask) {
  const std::string y =
      g_.node("Add", {x, attention(layerNorm(x, p + ".norm1"), p + ".qkv", p + ".proj", heads, additiveMask)});
  const std::string h = linear(gelu(linear(layerNorm(y, p + ".norm2"), p + ".fc1")), p + ".fc2");
  return g_.node("Add", {y, h});
}

}  // namespace reef::exporting

// The vision collection's classifiers as ONNX graphs: the network's own forward pass written
// out layer by layer from its weights (eval mode: dropout gone, batch norm on its running
// statistics), with the input normalisation at the front and a softmax beside the logits, so
// that a runtime takes plain pixels in [0, 1] and gives class probabilities.
#include "formats/vision_formats.h"

#include "formats/onnx_graph.h"

#include <cmath>
#include <map>
#include <stdexcept>

namespace reef::exporting {

namespace {

class VisionGraphWriter {
 public:
  VisionGraphWriter(vision::ImageClassifier& model, OnnxGraph& g) : g_(g) {
    for (const auto& p : model.module().named_parameters()) state_.emplace(p.key(), p.value());
    for (const auto& b : model.module().named_buffers()) state_.emplace(b.key(), b.value());
  }

  torch::Tensor weight(const std::string& name) const {
    auto it = state_.find(name);
    if (it == state_.end()) throw std::runtime_error("the network has no tensor '" + name + "' (an exporter bug)");
    return it->second;
  }
  bool has(const std::string& name) const { return state_.count(name) > 0; }
  std::string w(const std::string& name) { return g_.constant(name, weight(name)); }

  std::string conv(const std::string& x, const std::string& prefix, int64_t stride, int64_t pad) {
    const torch::Tensor k = weight(prefix + ".weight");
    std::vector<std::string> inputs{x, w(prefix + ".weight")};
    if (has(prefix + ".bias")) inputs.push_back(w(prefix + ".bias"));
    return g_.node("Conv", inputs,
                   {{"kernel_shape", std::vector<int64_t>{k.size(2), k.size(3)}},
                    {"strides", std::vector<int64_t>{stride, stride}},
                    {"pads", std::vector<int64_t>{pad, pad, pad, pad}}});
  }
  std::string batchNorm(const std::string& x, const std::string& prefix) {
    return g_.node("BatchNormalization",
                   {x, w(prefix + ".weight"), w(prefix + ".bias"), w(prefix + ".running_mean"), w(prefix + ".running_var")},
                   {{"epsilon", 1e-5f}});
  }
  std::string relu(const std::string& x) { return g_.node("Relu", {x}); }
  // [B, in] -> [B, out]
  std::string gemm(const std::string& x, const std::string& prefix) {
    return g_.node("Gemm", {x, w(prefix + ".weight"), w(prefix + ".bias")}, {{"transB", int64_t(1)}});
  }
  // [..., in] -> [..., out]
  std::string linear(const std::string& x, const std::string& prefix) {
    const std::string transposed = g_.constant(prefix + ".weight_t", weight(prefix + ".weight").t());
    return g_.node("Add", {g_.node("MatMul", {x, transposed}), w(prefix + ".bias")});
  }
  std::string layerNorm(const std::string& x, const std::string& prefix) {
    return g_.node("LayerNormalization", {x, w(prefix + ".weight"), w(prefix + ".bias")},
                   {{"axis", int64_t(-1)}, {"epsilon", 1e-5f}});
  }
  // torch::gelu's exact form: x/2 (1 + erf(x / sqrt 2)).
  std::string gelu(const std::string& x) {
    const std::string e = g_.node("Erf", {g_.node("Div", {x, g_.constant("sqrt2", torch::tensor(std::sqrt(2.0f)))})});
    const std::string onePlus = g_.node("Add", {e, g_.constant("one", torch::tensor(1.0f))});
    return g_.node("Mul", {g_.node("Mul", {x, onePlus}), g_.constant("half", torch::tensor(0.5f))});
  }
  std::string scalarIndex(int64_t i) { return g_.constant("index", torch::tensor(i, torch::kInt64)); }

  std::string cnn(std::string x) {
    for (const char* layer : {"1", "2"}) {
      x = conv(x, std::string("conv") + layer, 1, 1);
      if (has(std::string("bn") + layer + ".weight")) x = batchNorm(x, std::string("bn") + layer);
      x = relu(g_.node("MaxPool", {x}, {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}}));
    }
    x = g_.node("Flatten", {x}, {{"axis", int64_t(1)}});
    return gemm(relu(gemm(x, "fc1")), "fc2");
  }

  std::string resnet(std::string x, int64_t blocksPerStage) {
    x = relu(batchNorm(conv(x, "stem.0", 1, 1), "stem.1"));
    for (int64_t k = 0; has("stages." + std::to_string(k) + ".conv1.weight"); ++k) {
      const std::string p = "stages." + std::to_string(k);
      const int64_t stride = (k >= blocksPerStage && k % blocksPerStage == 0) ? 2 : 1;
      std::string y = relu(batchNorm(conv(x, p + ".conv1", stride, 1), p + ".bn1"));
      y = batchNorm(conv(y, p + ".conv2", 1, 1), p + ".bn2");
      const std::string shortcut =
          has(p + ".shortcut.0.weight") ? batchNorm(conv(x, p + ".shortcut.0", stride, 0), p + ".shortcut.1") : x;
      x = relu(g_.node("Add", {y, shortcut}));
    }
    x = g_.node("Flatten", {g_.node("GlobalAveragePool", {x})}, {{"axis", int64_t(1)}});
    return gemm(x, "head");
  }

  std::string vit(std::string x, int64_t heads) {
    const int64_t dim = weight("cls_token").size(2), headDim = dim / heads;
    const int64_t patch = weight("patch_embed.weight").size(2);
    // Patches [B, D, h, w] -> tokens [B, N, D].
    x = g_.node("Reshape", {conv(x, "patch_embed", patch, 0), g_.ints("shape", {0, dim, -1})});
    x = g_.node("Transpose", {x}, {{"perm", std::vector<int64_t>{0, 2, 1}}});
    // The class token, expanded to the batch: shape [B, 1, D] from the input's batch size.
    const std::string batch = g_.node("Slice", {g_.node("Shape", {x}), g_.ints("start", {0}), g_.ints("end", {1})});
    const std::string shape = g_.node("Concat", {batch, g_.ints("one_dim", {1, dim})}, {{"axis", int64_t(0)}});
    const std::string cls = g_.node("Expand", {w("cls_token"), shape});
    x = g_.node("Add", {g_.node("Concat", {cls, x}, {{"axis", int64_t(1)}}), w("pos_embed")});
    for (int64_t i = 0; has("blocks." + std::to_string(i) + ".qkv.weight"); ++i) {
      const std::string p = "blocks." + std::to_string(i);
      // [B, N, 3D] -> [3, B, H, N, hd]
      std::string qkv = g_.node("Reshape", {linear(layerNorm(x, p + ".norm1"), p + ".qkv"), g_.ints("shape", {0, 0, 3, heads, headDim})});
      qkv = g_.node("Transpose", {qkv}, {{"perm", std::vector<int64_t>{2, 0, 3, 1, 4}}});
      const std::string q = g_.node("Gather", {qkv, scalarIndex(0)}, {{"axis", int64_t(0)}});
      const std::string k = g_.node("Gather", {qkv, scalarIndex(1)}, {{"axis", int64_t(0)}});
      const std::string v = g_.node("Gather", {qkv, scalarIndex(2)}, {{"axis", int64_t(0)}});
      std::string scores = g_.node("MatMul", {q, g_.node("Transpose", {k}, {{"perm", std::vector<int64_t>{0, 1, 3, 2}}})});
      scores = g_.node("Div", {scores, g_.constant("scale", torch::tensor(static_cast<float>(std::sqrt(double(headDim)))))});
      std::string mixed = g_.node("MatMul", {g_.node("Softmax", {scores}, {{"axis", int64_t(-1)}}), v});
      mixed = g_.node("Transpose", {mixed}, {{"perm", std::vector<int64_t>{0, 2, 1, 3}}});
      mixed = g_.node("Reshape", {mixed, g_.ints("shape", {0, 0, dim})});
      const std::string y = g_.node("Add", {x, linear(mixed, p + ".proj")});
      const std::string h = linear(gelu(linear(layerNorm(y, p + ".norm2"), p + ".fc1")), p + ".fc2");
      x = g_.node("Add", {y, h});
    }
    x = g_.node("Gather", {layerNorm(x, "norm"), scalarIndex(0)}, {{"axis", int64_t(1)}});
    return gemm(x, "head");
  }

 private:
  OnnxGraph& g_;
  std::map<std::string, torch::Tensor> state_;
};

}  // namespace

OnnxSignature writeVisionOnnx(vision::ImageClassifier& model, const Json& spec, const std::filesystem::path& file) {
  torch::NoGradGuard noGrad;
  model.module().eval();
  const auto& info = model.info();
  const std::string arch = spec["model"]["arch"].get<std::string>();
  OnnxSignature s;
  s.input = "image";
  s.inputDims = {info.shape.channels, info.shape.height, info.shape.width};
  const auto classes = static_cast<int64_t>(info.classes.size());
  s.outputs = {{"logits", {classes}}, {"probabilities", {classes}}};
  s.labels = info.classes;

  OnnxGraph g(spec["exp"]["name"].get<std::string>(), s.input, {-1, info.shape.channels, info.shape.height, info.shape.width});
  VisionGraphWriter net(model, g);
  const std::string x = g.node("Div", {g.node("Sub", {g.input(), net.w("input_mean")}), net.w("input_std")});
  std::string logits;
  if (arch == "cnn")
    logits = net.cnn(x);
  else if (arch == "resnet")
    logits = net.resnet(x, spec["model"]["blocks"].get<int64_t>());
  else if (arch == "vit")
    logits = net.vit(x, spec["model"]["heads"].get<int64_t>());
  else
    throw std::runtime_error("no ONNX exporter for vision/" + arch);
  g.output(logits, "logits", {-1, classes});
  g.output(g.node("Softmax", {logits}, {{"axis", int64_t(1)}}), "probabilities", {-1, classes});
  g.metadata("labels", Json(info.classes).dump());
  g.metadata("input", "image: float32 [batch, " + std::to_string(info.shape.channels) + ", " +
                          std::to_string(info.shape.height) + ", " + std::to_string(info.shape.width) +
                          "], pixels in [0, 1]");
  g.write(file);
  return s;
}

}  // namespace reef::exporting

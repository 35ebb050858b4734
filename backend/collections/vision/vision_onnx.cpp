// The vision collection's classifiers as ONNX graphs: the network's own forward pass written
// out layer by layer from its weights (eval mode: dropout gone, batch norm on its running
// statistics), with the input normalisation at the front and a softmax beside the logits, so
// that a runtime takes plain pixels in [0, 1] and gives class probabilities.
#include "backend/collections/vision/vision_onnx.h"

#include "backend/collections/vision/image_classifier.h"
#include "backend/export/onnx/onnx_check.h"
#include "backend/export/onnx/onnx_layers.h"

#include <stdexcept>

namespace reef::vision {

namespace {

// The three networks' forward passes, layer by layer.
class VisionGraphWriter : public exporting::OnnxLayers {
 public:
  using OnnxLayers::OnnxLayers;

  std::string cnn(std::string x) {
    for (const char* layer : {"1", "2"}) {
      x = conv(x, std::string("conv") + layer, 1, 1);
      if (has(std::string("bn") + layer + ".weight")) x = batchNorm(x, std::string("bn") + layer);
      x = relu(graph().node("MaxPool", {x},
                            {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}}));
    }
    x = graph().node("Flatten", {x}, {{"axis", int64_t(1)}});
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
      x = relu(graph().node("Add", {y, shortcut}));
    }
    x = graph().node("Flatten", {graph().node("GlobalAveragePool", {x})}, {{"axis", int64_t(1)}});
    return gemm(x, "head");
  }

  std::string vit(std::string x, int64_t heads) {
    exporting::OnnxGraph& g = graph();
    const int64_t dim = weight("cls_token").size(2);
    const int64_t patch = weight("patch_embed.weight").size(2);
    // Patches [B, D, h, w] -> tokens [B, N, D].
    x = g.node("Reshape", {conv(x, "patch_embed", patch, 0), g.ints("shape", {0, dim, -1})});
    x = g.node("Transpose", {x}, {{"perm", std::vector<int64_t>{0, 2, 1}}});
    // The class token, expanded to the batch: shape [B, 1, D] from the input's batch size.
    const std::string batch = g.node("Slice", {g.node("Shape", {x}), g.ints("start", {0}), g.ints("end", {1})});
    const std::string shape = g.node("Concat", {batch, g.ints("one_dim", {1, dim})}, {{"axis", int64_t(0)}});
    const std::string cls = g.node("Expand", {w("cls_token"), shape});
    x = g.node("Add", {g.node("Concat", {cls, x}, {{"axis", int64_t(1)}}), w("pos_embed")});
    for (int64_t i = 0; has("blocks." + std::to_string(i) + ".qkv.weight"); ++i)
      x = encoderBlock(x, "blocks." + std::to_string(i), heads);
    x = g.node("Gather", {layerNorm(x, "norm"), scalarIndex(0)}, {{"axis", int64_t(1)}});
    return gemm(x, "head");
  }
};

}  // namespace

engine::ExportedModel exportOnnx(engine::Model& classifier, const Json& spec, const engine::ExportRequest& request) {
  torch::NoGradGuard noGrad;
  auto& model = dynamic_cast<ImageClassifier&>(classifier);
  model.module().eval();
  const auto& info = model.info();
  const std::string arch = spec["model"]["arch"].get<std::string>();
  const std::filesystem::path& file = request.destination;
  engine::GraphSignature s;
  s.input = "image";
  s.inputDims = {info.shape.channels, info.shape.height, info.shape.width};
  const auto classes = static_cast<int64_t>(info.classes.size());
  s.outputs = {{"logits", {classes}}, {"probabilities", {classes}}};
  s.labels = info.classes;

  exporting::OnnxGraph g(request.name, s.input, {-1, info.shape.channels, info.shape.height, info.shape.width});
  VisionGraphWriter net(model.module(), g);
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
  return {{file}, {exporting::checkOnnxFile(file, s)}, s};
}

}  // namespace reef::vision

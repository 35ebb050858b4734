// The NLP collection's text classifiers as ONNX graphs: token ids in (tokenization stays with the
// client, which has the tokenizer.model exported beside the graph), padding masked out of the
// attention and of the mean over tokens exactly as the network does, logits and probabilities out.
#include "backend/collections/nlp/text_onnx.h"

#include "backend/collections/nlp/text_classifier.h"
#include "backend/export/onnx/onnx_check.h"
#include "backend/export/onnx/onnx_layers.h"

#include <stdexcept>

namespace reef::nlp {

namespace {

class TextGraphWriter : public exporting::OnnxLayers {
 public:
  TextGraphWriter(TextClassifier& model, exporting::OnnxGraph& g) : OnnxLayers(model.module(), g) {
    const std::string ids = g.input();
    const std::string isPad = g.node("Equal", {ids, g.constant("pad", torch::tensor(model.pad(), torch::kInt64))});
    real_ = g.node("Cast", {g.node("Not", {isPad})}, {{"to", int64_t(1)}});  // float [B, L]
    padding_ = g.node("Cast", {isPad}, {{"to", int64_t(1)}});
  }

  // Mean of x [B, L, D] over the real tokens.
  std::string maskedMean(const std::string& x) {
    exporting::OnnxGraph& g = graph();
    const std::string weights = g.node("Unsqueeze", {real_, g.ints("axis", {2})});
    const std::string sum =
        g.node("ReduceSum", {g.node("Mul", {x, weights}), g.ints("axis", {1})}, {{"keepdims", int64_t(0)}});
    const std::string count = g.node("ReduceSum", {weights, g.ints("axis", {1})}, {{"keepdims", int64_t(0)}});
    return g.node("Div", {sum, g.node("Max", {count, g.constant("one", torch::tensor(1.0f))})});
  }

  std::string bow() {
    return graph().node("Add", {maskedMean(graph().node("Gather", {w("weight"), graph().input()})), w("bias")});
  }

  std::string encoder(int64_t heads) {
    exporting::OnnxGraph& g = graph();
    const std::string ids = g.input();
    // Position embeddings for the first L positions, L from the input's shape.
    const std::string length = g.node("Slice", {g.node("Shape", {ids}), g.ints("start", {1}), g.ints("end", {2})});
    const std::string positions = g.node("Slice", {w("pos_embed"), g.ints("start", {0}), length, g.ints("axis", {1})});
    std::string x = g.node("Add", {g.node("Gather", {w("embed.weight"), ids}), positions});
    // Padding never attended to: -1e9 added to its scores (the network fills them with -1e9;
    // after the softmax both are exactly zero).
    const std::string mask =
        g.node("Unsqueeze",
               {g.node("Mul", {padding_, g.constant("minus_inf", torch::tensor(-1e9f))}), g.ints("axes", {1, 2})});
    for (int64_t i = 0; has("blocks." + std::to_string(i) + ".qkv.weight"); ++i)
      x = encoderBlock(x, "blocks." + std::to_string(i), heads, mask);
    return gemm(maskedMean(layerNorm(x, "norm")), "head");
  }

 private:
  std::string real_, padding_;
};

}  // namespace

engine::ExportedModel exportOnnx(engine::Model& classifier, const Json& spec, const engine::ExportRequest& request) {
  torch::NoGradGuard noGrad;
  auto& model = dynamic_cast<TextClassifier&>(classifier);
  model.module().eval();
  const std::string arch = spec["model"]["arch"].get<std::string>();
  const std::filesystem::path& file = request.destination;
  engine::GraphSignature s;
  s.input = "input_ids";
  s.inputType = "TYPE_INT64";
  s.inputDims = {-1};
  const auto classes = static_cast<int64_t>(model.classes().size());
  s.outputs = {{"logits", {classes}}, {"probabilities", {classes}}};
  s.labels = model.classes();

  exporting::OnnxGraph g(request.name, s.input, {-1, -2}, /*int64Input=*/true);
  TextGraphWriter net(model, g);
  std::string logits;
  if (arch == "bow")
    logits = net.bow();
  else if (arch == "encoder")
    logits = net.encoder(spec["model"]["heads"].get<int64_t>());
  else
    throw std::runtime_error("no ONNX exporter for nlp/" + arch);
  g.output(logits, "logits", {-1, classes});
  g.output(g.node("Softmax", {logits}, {{"axis", int64_t(1)}}), "probabilities", {-1, classes});
  g.metadata("labels", Json(model.classes()).dump());
  g.metadata("input", "input_ids: int64 [batch, sequence], SentencePiece ids of tokenizer.model, padded with " +
                          std::to_string(model.pad()) + ", at most " + std::to_string(model.maxLength()) + " tokens");
  g.write(file);
  // The graph takes token ids: the tokenizer goes beside it.
  const std::filesystem::path tokenizer = file.parent_path() / (file.stem().string() + ".tokenizer.model");
  std::filesystem::copy_file(model.tokenizerPath(), tokenizer, std::filesystem::copy_options::overwrite_existing);
  return {{file, tokenizer}, {exporting::checkOnnxFile(file, s)}, s};
}

}  // namespace reef::nlp

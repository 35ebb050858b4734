// The NLP collection's text classifiers as ONNX graphs: token ids in (tokenization stays with the
// client, which has the tokenizer.model exported beside the graph), padding masked out of the
// attention and of the mean over tokens exactly as the network does, logits and probabilities out.
#include "backend/collections/nlp/text_onnx.h"

#include "backend/collections/nlp/encoder_trunk_onnx.h"
#include "backend/collections/nlp/text_classifier.h"
#include "backend/export/onnx/onnx_check.h"
#include "backend/export/onnx/onnx_layers.h"

#include <stdexcept>

namespace reef::nlp {

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
  exporting::OnnxLayers net(model.module(), g);
  EncoderTrunkGraph trunk(net, model.pad());
  std::string logits;
  if (arch == "bow")
    logits = g.node("Add", {trunk.maskedMean(g.node("Gather", {net.w("weight"), g.input()})), net.w("bias")});
  else if (arch == "encoder")
    logits = net.gemm(trunk.maskedMean(trunk.encode("", spec["model"]["heads"].get<int64_t>())), "head");
  else
    throw std::runtime_error("no ONNX exporter for nlp/" + arch);
  g.output(logits, "logits", {-1, classes});
  g.output(g.node("Softmax", {logits}, {{"axis", int64_t(1)}}), "probabilities", {-1, classes});
  g.metadata("labels", Json(model.classes()).dump());
  g.metadata("input", "input_ids: int64 [batch, sequence], SentencePiece ids of tokenizer.model, padded with " +
                          std::to_string(model.pad()) + ", at most " + std::to_string(model.maxLength()) + " tokens");
  g.write(file);
  // The graph takes token ids: the tokenizer goes beside it.
  const std::filesystem::path tokenizer = exporting::besideGraph(file, ".tokenizer.model");
  std::filesystem::copy_file(model.tokenizerPath(), tokenizer, std::filesystem::copy_options::overwrite_existing);
  return {{file, tokenizer}, {exporting::checkOnnxFile(file, s)}, s};
}

}  // namespace reef::nlp

#include "backend/collections/nlp/encoder_trunk_onnx.h"

namespace reef::nlp {

EncoderTrunkGraph::EncoderTrunkGraph(exporting::OnnxLayers& layers, int64_t pad) : l_(layers) {
  exporting::OnnxGraph& g = l_.graph();
  const std::string isPad = g.node("Equal", {g.input(), g.constant("pad", torch::tensor(pad, torch::kInt64))});
  real_ = g.node("Cast", {g.node("Not", {isPad})}, {{"to", int64_t(1)}});
  padding_ = g.node("Cast", {isPad}, {{"to", int64_t(1)}});
}

std::string EncoderTrunkGraph::maskedMean(const std::string& x) {
  exporting::OnnxGraph& g = l_.graph();
  const std::string weights = g.node("Unsqueeze", {real_, g.ints("axis", {2})});
  const std::string sum =
      g.node("ReduceSum", {g.node("Mul", {x, weights}), g.ints("axis", {1})}, {{"keepdims", int64_t(0)}});
  const std::string count = g.node("ReduceSum", {weights, g.ints("axis", {1})}, {{"keepdims", int64_t(0)}});
  return g.node("Div", {sum, g.node("Max", {count, g.constant("one", torch::tensor(1.0f))})});
}

std::string EncoderTrunkGraph::encode(const std::string& prefix, int64_t heads) {
  exporting::OnnxGraph& g = l_.graph();
  const std::string ids = g.input();
  // Position embeddings for the first L positions, L from the input's shape.
  const std::string length = g.node("Slice", {g.node("Shape", {ids}), g.ints("start", {1}), g.ints("end", {2})});
  const std::string positions =
      g.node("Slice", {l_.w(prefix + "pos_embed"), g.ints("start", {0}), length, g.ints("axis", {1})});
  std::string x = g.node("Add", {g.node("Gather", {l_.w(prefix + "embed.weight"), ids}), positions});
  // Padding never attended to: -1e9 added to its scores (the network fills them with -1e9;
  // after the softmax both are exactly zero).
  const std::string mask = g.node(
      "Unsqueeze", {g.node("Mul", {padding_, g.constant("minus_inf", torch::tensor(-1e9f))}), g.ints("axes", {1, 2})});
  for (int64_t i = 0; l_.has(prefix + "blocks." + std::to_string(i) + ".qkv.weight"); ++i)
    x = l_.encoderBlock(x, prefix + "blocks." + std::to_string(i), heads, mask);
  return l_.layerNorm(x, prefix + "norm");
}

}  // namespace reef::nlp

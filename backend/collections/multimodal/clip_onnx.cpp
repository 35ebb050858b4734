// The CLIP-style dual encoder written as two graphs from its weights (eval mode: batch norm on its
// running statistics), each ending in the projection and the L2 normalisation, so that a runtime
// compares images and texts with a dot product as the model does.
#include "backend/collections/multimodal/clip_onnx.h"

#include "backend/collections/multimodal/clip_model.h"
#include "backend/collections/nlp/encoder_trunk_onnx.h"
#include "backend/collections/nlp/nlp_files.h"
#include "backend/export/onnx/onnx_check.h"

namespace fs = std::filesystem;

namespace reef::multimodal {

namespace {

void describe(exporting::OnnxGraph& g, ClipModel& model) {
  g.metadata("similarity_scale", Json(model.similarityScale()).dump());
  g.metadata("zero_shot_prompt", model.settings().zeroShotPrompt);
  g.metadata("embeddings", "unit length: the cosine similarity of an image and a text is their dot product");
}

engine::ExportedModel imageGraph(ClipModel& model, const engine::ExportRequest& request, const fs::path& file) {
  const int64_t side = model.settings().imageSize, dim = model.dimensions();
  engine::GraphSignature s;
  s.input = "image";
  s.inputDims = {3, side, side};
  s.outputs = {{"embeddings", {dim}}};
  exporting::OnnxGraph g(request.name + "-image", s.input, {-1, 3, side, side});
  exporting::OnnxLayers net(model.module(), g);
  // The encoder's input normalisation, then its layers, the mean over the feature map's cells.
  std::string x = g.node("Div", {g.node("Sub", {g.input(), g.constant("mean", torch::tensor(0.5f))}),
                                 g.constant("std", torch::tensor(0.25f))});
  auto layers = model.network()->image_encoder->children().front();
  torch::nn::Sequential sequential(std::dynamic_pointer_cast<torch::nn::SequentialImpl>(layers));
  x = net.sequential(x, sequential, "image_encoder.layers");
  x = g.node("ReduceMean", {x}, {{"axes", std::vector<int64_t>{2, 3}}, {"keepdims", int64_t(0)}});
  g.output(net.l2Normalize(net.gemm(x, "image_projection")), "embeddings", {-1, dim});
  describe(g, model);
  g.metadata("input", "image: float [batch, 3, " + std::to_string(side) + ", " + std::to_string(side) +
                          "], RGB pixels in [0, 1] (transparent pixels composited on white)");
  g.write(file);
  return {{file}, {exporting::checkOnnxFile(file, s)}, s};
}

engine::ExportedModel textGraph(ClipModel& model, const Json& spec, const engine::ExportRequest& request,
                                const fs::path& file) {
  const int64_t dim = model.dimensions();
  engine::GraphSignature s;
  s.input = "input_ids";
  s.inputType = "TYPE_INT64";
  s.inputDims = {-1};
  s.outputs = {{"embeddings", {dim}}};
  exporting::OnnxGraph g(request.name + "-text", s.input, {-1, -2}, /*int64Input=*/true);
  exporting::OnnxLayers net(model.module(), g);
  const int64_t pad = nlp::padId(model.tokenizer());
  nlp::EncoderTrunkGraph trunk(net, pad);
  const std::string pooled = trunk.maskedMean(trunk.encode("text_encoder.", spec["model"]["heads"].get<int64_t>()));
  g.output(net.l2Normalize(net.gemm(pooled, "text_projection")), "embeddings", {-1, dim});
  describe(g, model);
  g.metadata("input",
             "input_ids: int64 [batch, sequence], SentencePiece ids of tokenizer.model as the captions are "
             "encoded, padded with " +
                 std::to_string(pad) + ", at most " + std::to_string(model.settings().maxLength) + " tokens");
  g.write(file);
  return {{file}, {exporting::checkOnnxFile(file, s)}, s};
}

}  // namespace

engine::ExportedModel exportOnnx(engine::Model& clip, const Json& spec, const engine::ExportRequest& request) {
  torch::NoGradGuard noGrad;
  auto& model = dynamic_cast<ClipModel&>(clip);
  model.module().eval();
  engine::ExportedModel image = imageGraph(model, request, exporting::besideGraph(request.destination, ".image.onnx"));
  const engine::ExportedModel text =
      textGraph(model, spec, request, exporting::besideGraph(request.destination, ".text.onnx"));
  const fs::path tokenizer = exporting::besideGraph(request.destination, ".tokenizer.model");
  fs::copy_file(model.settings().tokenizer, tokenizer, fs::copy_options::overwrite_existing);
  image.files.insert(image.files.end(), {text.files.front(), tokenizer});
  image.checks.front().name += " (image encoder)";
  image.checks.push_back(text.checks.front());
  image.checks.back().name += " (text encoder)";
  return image;
}

}  // namespace reef::multimodal

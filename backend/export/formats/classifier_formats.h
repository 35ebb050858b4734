#pragma once
// Exports of the classifiers (vision's image classifiers, nlp's text classifiers): an ONNX graph,
// and a Triton Inference Server model repository around it.
#include "nlp/text_classifier.h"
#include "protocol/json.h"
#include "vision/image_classifier.h"

#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace reef::exporting {

// What a runtime must know to call an exported graph (dims without the batch axis).
struct OnnxSignature {
  std::string input;
  std::string inputType = "TYPE_FP32";  // Triton's name of the input's element type
  std::vector<int64_t> inputDims;       // -1: variable (a text's length)
  std::vector<std::pair<std::string, std::vector<int64_t>>> outputs;
  std::vector<std::string> labels;  // class names, in output order
};

// Writes `model` (built from the resolved `spec`) as an ONNX model, opset 17, dynamic batch axis,
// checked by ONNX's checker and shape inference.
OnnxSignature writeVisionOnnx(vision::ImageClassifier& model, const Json& spec, const std::filesystem::path& file);
// Writes a text classifier: input "input_ids" int64 [batch, sequence] (the tokenizer's ids, padded
// with its pad id, which the graph masks out), outputs logits and probabilities.
OnnxSignature writeTextOnnx(nlp::TextClassifier& model, const Json& spec, const std::filesystem::path& file);

// <dir>/<name>/config.pbtxt, <dir>/<name>/labels.txt and <dir>/<name>/1/model.onnx (written by
// `writeModel`); returns the files written.
std::vector<std::filesystem::path> writeTritonRepository(
    const std::filesystem::path& dir, const std::string& name, int64_t maxBatchSize,
    const std::function<OnnxSignature(const std::filesystem::path& onnxFile)>& writeModel);

// The config.pbtxt text for an ONNX model with signature `s` (exposed for tests).
std::string tritonConfig(const std::string& name, const OnnxSignature& s, int64_t maxBatchSize);

}  // namespace reef::exporting

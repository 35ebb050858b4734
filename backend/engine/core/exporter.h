#pragma once
// A collection's writer of one export format (onnx, gguf, hf, triton, ...) for its models,
// registered with the model; the catalog lists a model's formats from what is registered, and
// `reef export` calls the writer without knowing the collection. Every writer reads back what it
// wrote and reports the checks.
#include "backend/protocol/json.h"

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace reef::engine {

class Model;

struct ExportRequest {
  std::filesystem::path destination;  // a file or a folder, as the format writes
  std::string name;                   // the model's name inside the files (default: modelName())
  std::string weightType = "f16";     // weight type where the format has a choice (GGUF)
  int64_t maxBatch = 64;              // the largest batch a serving runtime forms (Triton)
};

struct ExportCheck {
  std::string name;
  bool passed = false;
  std::string detail;
};

// What a runtime must know to call an exported graph (dims without the batch axis).
struct GraphSignature {
  std::string input;
  std::string inputType = "TYPE_FP32";  // Triton's name of the input's element type
  std::vector<int64_t> inputDims;       // -1: variable (a text's length)
  std::vector<std::pair<std::string, std::vector<int64_t>>> outputs;
  std::vector<std::string> labels;  // class names, in output order
};

struct ExportedModel {
  std::vector<std::filesystem::path> files;  // the main file first
  std::vector<ExportCheck> checks;
  GraphSignature signature;  // for graph formats (onnx): what a Triton repository around it needs
};

// `spec` is the model's resolved spec; the model is on the CPU in eval mode.
using Exporter = std::function<ExportedModel(Model& model, const Json& spec, const ExportRequest& request)>;

}  // namespace reef::engine

#pragma once
// A small writer of ONNX graphs on Debian's libonnx (the ModelProto itself, opset 17): weights
// become initializers, layers become nodes whose outputs get fresh names, and the finished model
// passes ONNX's checker and strict shape inference before it is written. Exporters describe a
// network in terms of it; nothing here knows a particular network.
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace reef::exporting {

constexpr int64_t kOnnxOpset = 17;

// A node attribute: int, float, ints or string.
using OnnxAttribute = std::variant<int64_t, float, std::vector<int64_t>, std::string>;

class OnnxGraph {
 public:
  // `dims`: negative values are named dynamic axes: -1 "batch", -2 "sequence", -3 "frames" and
  // -4 "output_frames" (a subsampled frame axis). The input is float32, or int64 (token ids) when
  // `int64Input`.
  OnnxGraph(const std::string& graphName, const std::string& input, const std::vector<int64_t>& dims,
            bool int64Input = false);
  ~OnnxGraph();

  const std::string& input() const { return input_; }
  // A constant (float32 unless the tensor is int64), named `name` (made unique).
  std::string constant(const std::string& name, const torch::Tensor& value);
  std::string ints(const std::string& name, const std::vector<int64_t>& values);
  // One node with one output; returns the output's name.
  std::string node(const std::string& op, const std::vector<std::string>& inputs,
                   const std::vector<std::pair<std::string, OnnxAttribute>>& attributes = {});
  // Graph output `name` of the float32 value `value`, of shape `dims` (dynamic axes as the input's).
  void output(const std::string& value, const std::string& name, const std::vector<int64_t>& dims);
  // Metadata (key, value) stored in the model, e.g. class names.
  void metadata(const std::string& key, const std::string& value);

  // Checks (ONNX checker, strict shape inference) and writes the model; throws with the checker's
  // message when the graph is invalid.
  void write(const std::filesystem::path& file) const;

 private:
  struct Proto;
  std::unique_ptr<Proto> p_;
  std::string input_;
  int64_t counter_ = 0;
};

// A file written beside an exported graph: <graph's folder>/<graph's stem><suffix>, e.g. the
// tokenizer of model.onnx as model.tokenizer.model.
std::filesystem::path besideGraph(const std::filesystem::path& graph, const std::string& suffix);

}  // namespace reef::exporting

// A Triton Inference Server model repository: the ONNX graph under version 1, a config.pbtxt in
// Triton's protobuf text format naming its inputs, outputs, shapes (without the batch axis, which
// max_batch_size implies) and dynamic batching, and the class names as the classification
// extension's label file.
#include "formats/classifier_formats.h"

#include <fstream>
#include <regex>
#include <sstream>

namespace fs = std::filesystem;

namespace reef::exporting {

namespace {

std::string dims(const std::vector<int64_t>& d) {
  std::string out = "[ ";
  for (size_t i = 0; i < d.size(); ++i) out += (i ? ", " : "") + std::to_string(d[i]);
  return out + " ]";
}

void writeText(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write '" + file.string() + "' (is the disk full?)");
}

}  // namespace

std::string tritonConfig(const std::string& name, const OnnxSignature& s, int64_t maxBatchSize) {
  std::ostringstream c;
  c << "name: \"" << name << "\"\n"
    << "platform: \"onnxruntime_onnx\"\n"
    << "max_batch_size: " << maxBatchSize << "\n"
    << "input [\n  {\n    name: \"" << s.input << "\"\n    data_type: " << s.inputType << "\n    dims: " << dims(s.inputDims)
    << "\n  }\n]\n"
    << "output [\n";
  for (size_t i = 0; i < s.outputs.size(); ++i) {
    c << "  {\n    name: \"" << s.outputs[i].first << "\"\n    data_type: TYPE_FP32\n    dims: " << dims(s.outputs[i].second)
      << "\n";
    if (!s.labels.empty()) c << "    label_filename: \"labels.txt\"\n";
    c << "  }" << (i + 1 < s.outputs.size() ? "," : "") << "\n";
  }
  c << "]\n"
    << "dynamic_batching {\n  max_queue_delay_microseconds: 5000\n}\n"
    << "instance_group [\n  {\n    kind: KIND_CPU\n    count: 1\n  }\n]\n";
  return c.str();
}

std::vector<fs::path> writeTritonRepository(const fs::path& dir, const std::string& name, int64_t maxBatchSize,
                                            const std::function<OnnxSignature(const fs::path&)>& writeModel) {
  // Triton names a model by its folder; keep the name to what every file system and URL takes.
  if (!std::regex_match(name, std::regex("[A-Za-z0-9_.-]+")))
    throw std::runtime_error("'" + name + "' cannot name a Triton model: use letters, digits, '_', '.' and '-' (--name)");
  const fs::path model = dir / name;
  fs::create_directories(model / "1");
  const fs::path onnx = model / "1" / "model.onnx";
  const OnnxSignature s = writeModel(onnx);
  std::vector<fs::path> files{model / "config.pbtxt", onnx};
  writeText(files[0], tritonConfig(name, s, maxBatchSize));
  if (!s.labels.empty()) {
    std::string labels;
    for (const auto& l : s.labels) labels += l + "\n";
    writeText(model / "labels.txt", labels);
    files.push_back(model / "labels.txt");
  }
  return files;
}

}  // namespace reef::exporting

#include "backend/export/formats/triton_repository.h"

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

std::string tritonConfig(const std::string& name, const engine::GraphSignature& s, int64_t maxBatchSize) {
  std::ostringstream c;
  c << "name: \"" << name << "\"\n"
    << "platform: \"onnxruntime_onnx\"\n"
    << "max_batch_size: " << maxBatchSize << "\n"
    << "input [\n  {\n    name: \"" << s.input << "\"\n    data_type: " << s.inputType
    << "\n    dims: " << dims(s.inputDims) << "\n  }\n]\n"
    << "output [\n";
  for (size_t i = 0; i < s.outputs.size(); ++i) {
    c << "  {\n    name: \"" << s.outputs[i].first
      << "\"\n    data_type: TYPE_FP32\n    dims: " << dims(s.outputs[i].second) << "\n";
    if (!s.labels.empty()) c << "    label_filename: \"labels.txt\"\n";
    c << "  }" << (i + 1 < s.outputs.size() ? "," : "") << "\n";
  }
  c << "]\n"
    << "dynamic_batching {\n  max_queue_delay_microseconds: 5000\n}\n"
    << "instance_group [\n  {\n    kind: KIND_CPU\n    count: 1\n  }\n]\n";
  return c.str();
}

engine::Exporter tritonExporter(engine::Exporter onnx) {
  return [onnx](engine::Model& model, const Json& spec, const engine::ExportRequest& request) {
    const std::string& name = request.name;
    // Triton names a model by its folder; keep the name to what every file system and URL takes.
    if (!std::regex_match(name, std::regex("[A-Za-z0-9_.-]+")))
      throw std::runtime_error("'" + name +
                               "' cannot name a Triton model: use letters, digits, '_', '.' and '-' (--name)");
    const fs::path folder = request.destination / name;
    fs::create_directories(folder / "1");
    engine::ExportRequest graphRequest = request;
    graphRequest.destination = folder / "1" / "model.onnx";
    const engine::ExportedModel graph = onnx(model, spec, graphRequest);
    const engine::GraphSignature& s = graph.signature;
    engine::ExportedModel out{{folder / "config.pbtxt", graphRequest.destination}, graph.checks, s};
    writeText(out.files[0], tritonConfig(name, s, request.maxBatch));
    if (!s.labels.empty()) {
      std::string labels;
      for (const auto& l : s.labels) labels += l + "\n";
      writeText(folder / "labels.txt", labels);
      out.files.push_back(folder / "labels.txt");
    }
    out.files.insert(out.files.end(), graph.files.begin() + 1, graph.files.end());  // beside the graph
    return out;
  };
}

}  // namespace reef::exporting

#include "backend/export/onnx/onnx_check.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <fstream>

namespace fs = std::filesystem;

namespace reef::exporting {

engine::ExportCheck checkOnnxFile(const fs::path& file, const engine::GraphSignature& s) {
  engine::ExportCheck c{"ONNX file parsed and checked", false, ""};
  try {
    onnx::checker::check_model(file.string());
    onnx::ModelProto m;
    std::ifstream in(file, std::ios::binary);
    if (!m.ParseFromIstream(&in)) {
      c.detail = "not an ONNX ModelProto";
      return c;
    }
    const auto& g = m.graph();
    if (g.input_size() != 1 || g.input(0).name() != s.input) {
      c.detail = "the graph's input is not '" + s.input + "'";
      return c;
    }
    if (g.output_size() != static_cast<int>(s.outputs.size())) {
      c.detail = "the graph has " + std::to_string(g.output_size()) + " outputs";
      return c;
    }
    for (int i = 0; i < g.output_size(); ++i)
      if (g.output(i).name() != s.outputs[static_cast<size_t>(i)].first) {
        c.detail = "output " + std::to_string(i) + " is '" + g.output(i).name() + "'";
        return c;
      }
    c.passed = true;
    c.detail = "opset " + std::to_string(m.opset_import(0).version()) + ", " + std::to_string(g.node_size()) +
               " nodes, " + std::to_string(g.initializer_size()) + " initializers";
  } catch (const std::exception& e) {
    c.detail = e.what();
  }
  return c;
}

}  // namespace reef::exporting

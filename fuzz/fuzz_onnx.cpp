// ONNX files through the export's read-back check (ONNX's own parser and checker, then Reef's
// comparison with the graph signature it expects). The check must answer pass or fail with a
// reason, whatever the file holds.
#include "backend/export/onnx/onnx_check.h"
#include "fuzz/fuzz_input.h"

using namespace reef;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  engine::GraphSignature signature;
  signature.input = "image";
  signature.outputs = {{"logits", {-1, 10}}};
  const engine::ExportCheck check = exporting::checkOnnxFile(fuzz::asFile(data, size, ".onnx"), signature);
  if (!check.passed && check.detail.empty()) fuzz::finding("a failed ONNX check without a reason");
  return 0;
}

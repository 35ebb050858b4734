#pragma once
// The read-back check of an exported ONNX graph, beside the checks of export/formats.
#include "backend/engine/core/exporter.h"

#include <filesystem>

namespace reef::exporting {

// The file parsed again, passing ONNX's checker, with the signature's input and outputs.
engine::ExportCheck checkOnnxFile(const std::filesystem::path& file, const engine::GraphSignature& signature);

}  // namespace reef::exporting

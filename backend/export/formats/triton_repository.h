#pragma once
// A Triton Inference Server model repository around a model's ONNX graph: the graph under version
// 1, a config.pbtxt in Triton's protobuf text format naming its inputs, outputs, shapes (without
// the batch axis, which max_batch_size implies) and dynamic batching, and the class names as the
// classification extension's label file.
#include "backend/engine/core/exporter.h"

#include <string>

namespace reef::exporting {

// The "triton" format of a model whose "onnx" format is `onnx`: request.destination is the
// repository folder, request.name the model's folder in it, request.maxBatch its max_batch_size.
// Files: config.pbtxt, 1/model.onnx, labels.txt, then whatever else the ONNX writer put beside
// its graph.
engine::Exporter tritonExporter(engine::Exporter onnx);

// The config.pbtxt text for an ONNX model with signature `s` (exposed for tests).
std::string tritonConfig(const std::string& name, const engine::GraphSignature& s, int64_t maxBatchSize);

}  // namespace reef::exporting

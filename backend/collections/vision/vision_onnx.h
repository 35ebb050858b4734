#pragma once
// The vision collection's classifiers as ONNX graphs (format "onnx"; "triton" wraps it).
#include "backend/engine/core/exporter.h"

namespace reef::vision {

// request.destination: the .onnx file. The graph takes pixels in [0, 1], [batch, C, H, W], and
// gives logits and class probabilities; the class names are in its metadata.
engine::ExportedModel exportOnnx(engine::Model& model, const Json& spec, const engine::ExportRequest& request);

}  // namespace reef::vision

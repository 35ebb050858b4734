#pragma once
// The NLP collection's text classifiers as ONNX graphs (format "onnx"; "triton" wraps it).
#include "backend/engine/core/exporter.h"

namespace reef::nlp {

// request.destination: the .onnx file. Input "input_ids" int64 [batch, sequence] (the tokenizer's
// ids, padded with its pad id, which the graph masks out), outputs logits and probabilities; the
// tokenizer is written beside the graph as <stem>.tokenizer.model.
engine::ExportedModel exportOnnx(engine::Model& model, const Json& spec, const engine::ExportRequest& request);

}  // namespace reef::nlp

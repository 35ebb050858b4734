#pragma once
// The ASR collection's acoustic model as an ONNX graph (format "onnx"; "triton" wraps it).
#include "backend/engine/core/exporter.h"

namespace reef::asr {

// request.destination: the .onnx file. Input "features" float [batch, n_mels, frames]: normalised
// log-mel features, whose recipe the model's metadata states (key "features"); output
// "log_probs" [batch, output_frames, labels], CTC's per-frame log-probabilities, blank first.
// The vocabulary and the decoding go beside the graph as <stem>.vocabulary.json and in its
// metadata. QuartzNet and Conformer networks.
engine::ExportedModel exportOnnx(engine::Model& model, const Json& spec, const engine::ExportRequest& request);

}  // namespace reef::asr

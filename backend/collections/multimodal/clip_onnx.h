#pragma once
// The CLIP-style model's two encoders as ONNX graphs (format "onnx"). Not a Triton repository:
// a runtime calls the two graphs apart (images and texts are embedded separately).
#include "backend/engine/core/exporter.h"

namespace reef::multimodal {

// request.destination names <stem>.onnx; written are <stem>.image.onnx (input "image" float
// [batch, 3, S, S], pixels in [0, 1], RGB), <stem>.text.onnx (input "input_ids" int64
// [batch, sequence], the tokenizer's ids padded with its pad id) and the tokenizer beside them as
// <stem>.tokenizer.model. Both graphs output "embeddings" [batch, E] of unit length; cosine
// similarity times the metadata's "similarity_scale" (exp of CLIP's logit_scale, at most 100)
// are the model's logits.
engine::ExportedModel exportOnnx(engine::Model& model, const Json& spec, const engine::ExportRequest& request);

}  // namespace reef::multimodal

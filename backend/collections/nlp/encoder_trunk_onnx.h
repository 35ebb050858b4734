#pragma once
// The encoder trunk (encoder_trunk.h) written as ONNX nodes on int64 token ids: the padding mask
// from the pad id, embeddings with positions for the input's length, the blocks and the final
// norm; and the mean over real tokens the networks pool with. The text classifiers' and the CLIP
// text encoder's graphs both start from it.
#include "backend/export/onnx/onnx_layers.h"

#include <string>

namespace reef::nlp {

class EncoderTrunkGraph {
 public:
  // `layers` reads the owning network's weights; the graph's input holds the token ids.
  EncoderTrunkGraph(exporting::OnnxLayers& layers, int64_t pad);

  // [B, L, D] features of the trunk whose weights are under `prefix` ("" or e.g. "text_encoder.").
  std::string encode(const std::string& prefix, int64_t heads);
  // Mean of x [B, L, D] over the real (not padding) tokens.
  std::string maskedMean(const std::string& x);

 private:
  exporting::OnnxLayers& l_;
  std::string real_, padding_;  // float [B, L]
};

}  // namespace reef::nlp

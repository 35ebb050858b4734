#pragma once
#include "backend/collections/nlp/encoder_trunk.h"
#include "backend/engine/core/registry.h"

namespace reef::nlp {

// The spec keys of the transformer trunk (dim, depth, heads, mlp_ratio, dropout) and the options
// they give; shared with models that embed the trunk (the multimodal text encoder).
protocol::Section encoderTrunkParams();
EncoderTrunkOptions encoderTrunkOptions(const Json& model, int64_t vocab, int64_t maxLength);

// Declares the NLP collection (its data keys) and its models: bow, encoder, punctuation, mlm.
void registerNlpCollection(engine::Registry& registry);

}  // namespace reef::nlp

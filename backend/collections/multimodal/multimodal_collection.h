#pragma once
#include "backend/engine/core/registry.h"

namespace reef::multimodal {

// Declares the multimodal collection (image-text manifests as data) and its models: clip,
// captioner.
void registerMultimodalCollection(engine::Registry& registry);

}  // namespace reef::multimodal

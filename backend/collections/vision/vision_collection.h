#pragma once
#include "backend/engine/core/registry.h"

namespace reef::vision {

// Declares the vision collection (its data keys) and its models: cnn, resnet, vit.
void registerVisionCollection(engine::Registry& registry);

}  // namespace reef::vision

#pragma once
// The collections built into this engine. Adding one is writing its folder and one line in
// registerAll (docs/adding-a-collection.md).
#include "backend/engine/core/registry.h"

namespace reef::collections {

void registerAll(engine::Registry& registry);

// The registry holding every collection of this engine, built once.
const engine::Registry& builtinRegistry();

}  // namespace reef::collections

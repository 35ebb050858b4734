#pragma once
#include "core/registry.h"

namespace reef::collections {

// Registers every collection built into this engine.
void registerAll(engine::Registry& registry);

}  // namespace reef::collections

#pragma once
#include "core/registry.h"
#include "protocol/catalog.h"

namespace reef::engine {

// The registry holding every collection compiled into this engine.
const Registry& builtinRegistry();
// What `reef catalog` prints: the trainer's sections plus every collection and model.
protocol::Catalog engineCatalog();

}  // namespace reef::engine

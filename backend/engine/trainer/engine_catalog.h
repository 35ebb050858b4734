#pragma once
// The catalog specs are resolved against and `reef catalog` prints: the trainer's own sections
// (trainer, optim, exp) plus every collection and model of a registry.
#include "backend/engine/core/registry.h"
#include "backend/protocol/catalog.h"

namespace reef::engine {

protocol::Catalog engineCatalog(const Registry& registry);

}  // namespace reef::engine

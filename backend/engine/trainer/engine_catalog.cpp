#include "backend/engine/trainer/engine_catalog.h"

#include "backend/engine/core/version.h"
#include "backend/engine/trainer/settings.h"

namespace reef::engine {

protocol::Catalog engineCatalog(const Registry& registry) {
  protocol::Catalog catalog;
  catalog.engineVersion = REEF_VERSION;
  catalog.sections = trainerSections();
  catalog.collections = registry.collections();
  return catalog;
}

}  // namespace reef::engine

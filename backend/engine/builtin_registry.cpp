#include "builtin_registry.h"

#include "collections.h"
#include "trainer/settings.h"
#include "version.h"

namespace reef::engine {

const Registry& builtinRegistry() {
  static const Registry registry = [] {
    Registry r;
    collections::registerAll(r);
    return r;
  }();
  return registry;
}

protocol::Catalog engineCatalog() {
  protocol::Catalog catalog;
  catalog.engineVersion = REEF_VERSION;
  catalog.sections = trainerSections();
  catalog.collections = builtinRegistry().collections();
  return catalog;
}

}  // namespace reef::engine

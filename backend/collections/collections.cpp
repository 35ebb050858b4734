#include "collections.h"

#include "vision/vision_collection.h"

namespace reef::collections {

void registerAll(engine::Registry& registry) { vision::registerVisionCollection(registry); }

}  // namespace reef::collections

#include "backend/collections/collections.h"

#include "backend/collections/asr/asr_collection.h"
#include "backend/collections/llm/llm_collection.h"
#include "backend/collections/multimodal/multimodal_collection.h"
#include "backend/collections/nlp/nlp_collection.h"
#include "backend/collections/tts/tts_collection.h"
#include "backend/collections/vision/vision_collection.h"

namespace reef::collections {

void registerAll(engine::Registry& registry) {
  vision::registerVisionCollection(registry);
  llm::registerLlmCollection(registry);
  nlp::registerNlpCollection(registry);
  multimodal::registerMultimodalCollection(registry);
  asr::registerAsrCollection(registry);
  tts::registerTtsCollection(registry);
}

const engine::Registry& builtinRegistry() {
  static const engine::Registry registry = [] {
    engine::Registry r;
    registerAll(r);
    return r;
  }();
  return registry;
}

}  // namespace reef::collections

#include "collections.h"

#include "asr/asr_collection.h"
#include "llm/llm_collection.h"
#include "multimodal/multimodal_collection.h"
#include "nlp/nlp_collection.h"
#include "tts/tts_collection.h"
#include "vision/vision_collection.h"

namespace reef::collections {

void registerAll(engine::Registry& registry) {
  vision::registerVisionCollection(registry);
  llm::registerLlmCollection(registry);
  nlp::registerNlpCollection(registry);
  multimodal::registerMultimodalCollection(registry);
  asr::registerAsrCollection(registry);
  tts::registerTtsCollection(registry);
}

}  // namespace reef::collections

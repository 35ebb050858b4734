#pragma once
#include "backend/engine/core/registry.h"

namespace reef::tts {

// Speech synthesis: collection "tts", model "fastpitch".
void registerTtsCollection(engine::Registry& registry);

}  // namespace reef::tts

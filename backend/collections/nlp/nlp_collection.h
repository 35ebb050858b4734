#pragma once
#include "core/registry.h"

namespace reef::nlp {

// Declares the NLP collection (its data keys) and its text classifiers: encoder, bow.
void registerNlpCollection(engine::Registry& registry);

}  // namespace reef::nlp

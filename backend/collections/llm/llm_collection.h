#pragma once
#include "core/registry.h"

namespace reef::llm {

// Declares the llm collection (token shards as data) and its models: llama, mixtral.
void registerLlmCollection(engine::Registry& registry);

}  // namespace reef::llm

#pragma once
#include "backend/engine/core/registry.h"

namespace reef::llm {

// The spec keys of a Llama decoder's shape (dim, layers, heads, ...), read by
// CausalLM::configFromSpec; shared with models that embed the decoder (the captioner).
protocol::Section llamaShapeParams();

// Declares the llm collection (token shards as data) and its models: llama, mixtral.
void registerLlmCollection(engine::Registry& registry);

}  // namespace reef::llm

#pragma once
// The LLM collection's Llama leaves Reef in the layouts the ecosystem loads: a Hugging Face
// Llama folder (transformers) and a GGUF file (llama.cpp). Both take the model as trained in one
// process; LoRA runs are merged first (`reef lora merge`).
#include "formats/gguf_file.h"
#include "llm/causal_lm.h"

#include <filesystem>
#include <string>
#include <vector>

namespace reef::exporting {

// config.json, generation_config.json, model.safetensors, tokenizer.model, tokenizer_config.json
// and special_tokens_map.json in `dir`. Returns the files written.
std::vector<std::filesystem::path> writeHuggingFaceLlama(llm::CausalLM& lm, const std::filesystem::path& dir);

// One GGUF file: llama architecture metadata, the SentencePiece vocabulary, weight matrices as
// `type` (norms stay f32). Q and K rows are permuted from the Hugging Face rotate-half layout to
// GGML's interleaved rotary layout, as llama.cpp's own converter does.
void writeLlamaGguf(llm::CausalLM& lm, const std::filesystem::path& file, GgmlType type, const std::string& name);

// Throws with the fix when `lm` is not a plain Llama (LoRA adapters unmerged, the Mixtral layout).
void requireExportableLlama(llm::CausalLM& lm, const std::string& format);

// The GGUF name of a Hugging Face Llama tensor ("model.layers.3.mlp.up_proj.weight" ->
// "blk.3.ffn_up.weight"); throws for names outside the Llama layout.
std::string ggufTensorName(const std::string& huggingFaceName);

}  // namespace reef::exporting

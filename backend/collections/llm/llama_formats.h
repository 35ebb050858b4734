#pragma once
// The LLM collection's Llama leaves Reef in the layouts the ecosystem loads: a Hugging Face
// Llama folder (transformers) and a GGUF file (llama.cpp). Both take the model as trained in one
// process; LoRA runs are merged first (`reef lora merge`).
#include "backend/collections/llm/causal_lm.h"
#include "backend/engine/core/exporter.h"
#include "backend/export/gguf/gguf_file.h"

#include <filesystem>
#include <string>
#include <vector>

namespace reef::llm {

// The formats as the registry calls them, each with its read-back check. "hf": request.destination
// is the folder; "gguf": the file, with request.weightType f32, f16 or q8_0.
engine::ExportedModel exportHuggingFace(engine::Model& model, const Json& spec, const engine::ExportRequest& request);
engine::ExportedModel exportGguf(engine::Model& model, const Json& spec, const engine::ExportRequest& request);

// config.json, generation_config.json, model.safetensors, tokenizer.model, tokenizer_config.json
// and special_tokens_map.json in `dir`. Returns the files written.
std::vector<std::filesystem::path> writeHuggingFaceLlama(CausalLM& lm, const std::filesystem::path& dir);

// One GGUF file: llama architecture metadata, the SentencePiece vocabulary, weight matrices as
// `type` (norms stay f32). Q and K rows are permuted from the Hugging Face rotate-half layout to
// GGML's interleaved rotary layout, as llama.cpp's own converter does.
void writeLlamaGguf(CausalLM& lm, const std::filesystem::path& file, exporting::GgmlType type, const std::string& name);

// Throws with the fix when `lm` is not a plain Llama (LoRA adapters unmerged, the Mixtral layout).
void requireExportableLlama(CausalLM& lm, const std::string& format);

// The GGUF name of a Hugging Face Llama tensor ("model.layers.3.mlp.up_proj.weight" ->
// "blk.3.ffn_up.weight"); throws for names outside the Llama layout.
std::string ggufTensorName(const std::string& huggingFaceName);

}  // namespace reef::llm

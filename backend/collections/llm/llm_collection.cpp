#include "backend/collections/llm/llm_collection.h"

#include "backend/collections/llm/causal_lm.h"
#include "backend/collections/llm/llama_formats.h"
#include "backend/engine/core/inference.h"

namespace reef::llm {

using namespace protocol;

Section llamaShapeParams() {
  return {
      intParam("dim", 256, 8, 65536, "Hidden width"),
      intParam("layers", 4, 1, 512, "Decoder layers"),
      intParam("heads", 4, 1, 512, "Attention heads (dim must be a multiple, and dim / heads even)"),
      intParam("kv_heads", 0, 0, 512, "Key/value heads for grouped-query attention; 0 uses as many as heads"),
      intParam("ffn_hidden", 0, 0, 1 << 20, "Feed-forward width; 0 uses 8/3 x dim rounded up to a multiple of 64"),
      intParam("max_context", 512, 8, 1 << 20, "Longest sequence the model handles (rotary tables, KV cache)"),
      floatParam("rope_theta", 10000.0, 1, 1e9, "Base of the rotary position embedding frequencies"),
      floatParam("norm_eps", 1e-5, 0, 1, "RMSNorm epsilon", true),
      boolParam("tie_embeddings", true, "Share the input embedding with the output projection"),
  };
}

namespace {

Section decoderParams() {
  Section s = llamaShapeParams();
  Section lora = {
      intParam("lora_rank", 0, 0, 4096, "Rank of LoRA adapters trained with the base frozen; 0 trains every weight"),
      floatParam("lora_alpha", 16.0, 0, 1e6, "LoRA scale numerator: adapters add (alpha / rank) B A x"),
      stringParam(
          "lora_targets", "q_proj,v_proj",
          "Comma-separated layers that get adapters: q_proj k_proj v_proj o_proj gate_proj up_proj down_proj lm_head"),
  };
  s.insert(s.end(), lora.begin(), lora.end());
  return s;
}

// Language models chat when served; their held-out data is the validation split.
ModelCapabilities languageModelCapabilities() {
  ModelCapabilities c;
  c.serving = engine::serving::kChat;
  c.evalSplit = "val";
  return c;
}

}  // namespace

void registerLlmCollection(engine::Registry& registry) {
  registry.addCollection(
      "llm", "Decoder-only language models (Llama layout) on token shards; bits per byte against xz",
      {
          stringParam("dataset", "kjv",
                      "Token shards in <data root>/llm/<dataset> (scripts/prepare-data.sh, reef data prepare-text)"),
          intParam("context", 128, 8, 1 << 20, "Tokens per training window (fine-tuning: per example)"),
          stringParam(
              "sft", "",
              "JSON lines {\"input\", \"output\"} for supervised fine-tuning, loss on the outputs only (a path, "
              "or relative to the data root); empty pretrains on the token shards"),
      });
  auto factory = [](const engine::ModelContext& context) -> std::unique_ptr<engine::Model> {
    return std::make_unique<CausalLM>(context);
  };
  registry.addModel("llm",
                    {"llama", "Llama-style decoder: RMSNorm, rotary embeddings, grouped-query attention, SwiGLU",
                     decoderParams(), languageModelCapabilities()},
                    factory, {{"gguf", exportGguf}, {"hf", exportHuggingFace}});
  Section moe = decoderParams();
  moe.push_back(intParam("experts", 4, 1, 1024, "Experts in each layer's mixture of experts"));
  moe.push_back(intParam("top_k", 2, 1, 64, "Experts each token is routed to"));
  moe.push_back(
      floatParam("capacity_factor", 1.25, 0.1, 100, "Slots per expert: ceil(factor x tokens x top_k / experts)"));
  moe.push_back(floatParam("aux_loss_coef", 0.01, 0, 10, "Weight of the load-balancing loss"));
  registry.addModel("llm",
                    {"mixtral", "Mixtral-style decoder: the Llama layers with a mixture of experts as feed-forward",
                     moe, languageModelCapabilities()},
                    factory);
}

}  // namespace reef::llm

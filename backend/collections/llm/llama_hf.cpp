#include "backend/collections/llm/llama_formats.h"

#include "backend/engine/core/lora.h"
#include "backend/engine/core/tensor_io.h"
#include "backend/export/formats/export_checks.h"
#include "backend/protocol/json.h"

#include <fstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::llm {

namespace {

void writeJson(const fs::path& path, const Json& value) {
  std::ofstream out(path, std::ios::trunc);
  out << value.dump(2) << "\n";
  out.close();
  if (!out) throw std::runtime_error("cannot write '" + path.string() + "'");
}

}  // namespace

void requireExportableLlama(CausalLM& lm, const std::string& format) {
  if (!engine::loraState(*lm.network()).empty())
    throw std::runtime_error(
        "this run has LoRA adapters: fold them in first with `reef lora merge RUN`, then export the merged run");
  if (lm.network()->config().experts > 0)
    throw std::runtime_error(format + " writes the Llama layout; Mixtral runs are not exported yet");
}

std::vector<fs::path> writeHuggingFaceLlama(CausalLM& lm, const fs::path& dir) {
  requireExportableLlama(lm, "The Hugging Face export");
  auto& net = lm.network();
  const LlamaConfig& c = net->config();
  const text::Tokenizer& tok = lm.tokenizer();
  fs::create_directories(dir);

  engine::NamedTensors weights;
  for (const auto& p : net->named_parameters())
    weights.emplace_back(p.key(), p.value().detach().to(torch::kFloat32).contiguous());
  engine::saveTensors(dir / "model.safetensors", weights, {{"format", "pt"}});

  writeJson(dir / "config.json", {{"architectures", {"LlamaForCausalLM"}},
                                  {"model_type", "llama"},
                                  {"vocab_size", c.vocab},
                                  {"hidden_size", c.dim},
                                  {"intermediate_size", c.hidden()},
                                  {"num_hidden_layers", c.layers},
                                  {"num_attention_heads", c.heads},
                                  {"num_key_value_heads", c.kvHeads},
                                  {"head_dim", c.headDim()},
                                  {"hidden_act", "silu"},
                                  {"max_position_embeddings", c.maxContext},
                                  {"rms_norm_eps", c.normEps},
                                  {"rope_theta", c.ropeTheta},
                                  {"tie_word_embeddings", c.tieEmbeddings},
                                  {"attention_bias", false},
                                  {"mlp_bias", false},
                                  {"bos_token_id", tok.bos()},
                                  {"eos_token_id", tok.eos()},
                                  {"torch_dtype", "float32"}});
  // Reef starts every document after the end-of-sequence token and adds no BOS.
  writeJson(dir / "generation_config.json",
            {{"bos_token_id", tok.bos()}, {"eos_token_id", tok.eos()}, {"do_sample", false}});
  const Json special = {{"bos_token", tok.piece(tok.bos()).text},
                        {"eos_token", tok.piece(tok.eos()).text},
                        {"unk_token", tok.piece(tok.unk()).text}};
  writeJson(dir / "special_tokens_map.json", special);
  Json config = special;
  config["tokenizer_class"] = "LlamaTokenizer";
  config["add_bos_token"] = false;
  config["add_eos_token"] = false;
  config["model_max_length"] = c.maxContext;
  config["legacy"] = false;
  writeJson(dir / "tokenizer_config.json", config);
  fs::copy_file(tok.path(), dir / "tokenizer.model", fs::copy_options::overwrite_existing);
  return {dir / "config.json",     dir / "generation_config.json", dir / "model.safetensors",
          dir / "tokenizer.model", dir / "tokenizer_config.json",  dir / "special_tokens_map.json"};
}

engine::ExportedModel exportHuggingFace(engine::Model& model, const Json&, const engine::ExportRequest& request) {
  auto& lm = dynamic_cast<CausalLM&>(model);
  engine::ExportedModel out;
  out.files = writeHuggingFaceLlama(lm, request.destination);
  engine::NamedTensors parameters;
  for (const auto& p : lm.network()->named_parameters()) parameters.emplace_back(p.key(), p.value());
  out.checks = {exporting::checkSafetensorsWeights(request.destination / "model.safetensors", parameters)};
  return out;
}

}  // namespace reef::llm

#include "backend/collections/llm/llama_formats.h"

#include "backend/export/formats/export_checks.h"

#include <regex>
#include <stdexcept>

namespace reef::llm {

namespace {

// Hugging Face keeps each head's rotary pairs as (first half, second half); GGML rotates adjacent
// pairs. Reordering the rows of Q and K per head makes the two compute the same attention.
torch::Tensor interleaveRotaryRows(const torch::Tensor& w, int64_t heads) {
  const int64_t rows = w.size(0);
  return w.reshape({heads, 2, rows / heads / 2, w.size(1)}).transpose(1, 2).reshape({rows, w.size(1)}).contiguous();
}

}  // namespace

std::string ggufTensorName(const std::string& name) {
  static const std::regex layer(R"(model\.layers\.(\d+)\.(.+)\.weight)");
  static const std::vector<std::pair<std::string, std::string>> inLayer = {
      {"input_layernorm", "attn_norm"}, {"self_attn.q_proj", "attn_q"},      {"self_attn.k_proj", "attn_k"},
      {"self_attn.v_proj", "attn_v"},   {"self_attn.o_proj", "attn_output"}, {"post_attention_layernorm", "ffn_norm"},
      {"mlp.gate_proj", "ffn_gate"},    {"mlp.up_proj", "ffn_up"},           {"mlp.down_proj", "ffn_down"}};
  if (name == "model.embed_tokens.weight") return "token_embd.weight";
  if (name == "model.norm.weight") return "output_norm.weight";
  if (name == "lm_head.weight") return "output.weight";
  std::smatch m;
  if (std::regex_match(name, m, layer))
    for (const auto& [hf, gguf] : inLayer)
      if (m[2] == hf) return "blk." + m[1].str() + "." + gguf + ".weight";
  throw std::runtime_error("tensor '" + name + "' is not part of the Llama layout GGUF knows");
}

void writeLlamaGguf(CausalLM& lm, const std::filesystem::path& file, exporting::GgmlType type,
                    const std::string& name) {
  requireExportableLlama(lm, "The GGUF export");
  auto& net = lm.network();
  const LlamaConfig& c = net->config();
  const text::Tokenizer& tok = lm.tokenizer();

  exporting::GgufWriter gguf;
  gguf.setString("general.architecture", "llama");
  gguf.setString("general.name", name);
  gguf.setU32("general.file_type", type == exporting::GgmlType::F32 ? 0 : type == exporting::GgmlType::F16 ? 1 : 7);
  gguf.setU32("general.alignment", 32);
  gguf.setU32("llama.context_length", static_cast<uint32_t>(c.maxContext));
  gguf.setU32("llama.embedding_length", static_cast<uint32_t>(c.dim));
  gguf.setU32("llama.block_count", static_cast<uint32_t>(c.layers));
  gguf.setU32("llama.feed_forward_length", static_cast<uint32_t>(c.hidden()));
  gguf.setU32("llama.rope.dimension_count", static_cast<uint32_t>(c.headDim()));
  gguf.setU32("llama.attention.head_count", static_cast<uint32_t>(c.heads));
  gguf.setU32("llama.attention.head_count_kv", static_cast<uint32_t>(c.kvHeads));
  gguf.setF32("llama.attention.layer_norm_rms_epsilon", static_cast<float>(c.normEps));
  gguf.setF32("llama.rope.freq_base", static_cast<float>(c.ropeTheta));
  gguf.setU32("llama.vocab_size", static_cast<uint32_t>(c.vocab));

  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<int32_t> types;
  for (int i = 0; i < tok.vocabSize(); ++i) {
    pieces.push_back(tok.piece(i).text);
    scores.push_back(tok.piece(i).score);
    types.push_back(static_cast<int32_t>(tok.piece(i).type));  // SentencePiece's types are GGUF's
  }
  gguf.setString("tokenizer.ggml.model", "llama");
  gguf.setStrings("tokenizer.ggml.tokens", pieces);
  gguf.setF32s("tokenizer.ggml.scores", scores);
  gguf.setI32s("tokenizer.ggml.token_type", types);
  gguf.setU32("tokenizer.ggml.unknown_token_id", static_cast<uint32_t>(tok.unk()));
  gguf.setU32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(tok.bos()));
  gguf.setU32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(tok.eos()));
  if (tok.pad() >= 0) gguf.setU32("tokenizer.ggml.padding_token_id", static_cast<uint32_t>(tok.pad()));
  // Reef starts a document after the end-of-sequence token, never with BOS.
  gguf.setBool("tokenizer.ggml.add_bos_token", false);
  gguf.setBool("tokenizer.ggml.add_eos_token", false);
  gguf.setBool("tokenizer.ggml.add_space_prefix", tok.addsDummyPrefix());

  for (const auto& p : net->named_parameters()) {
    torch::Tensor w = p.value().detach().to(torch::kFloat32).contiguous();
    if (p.key().find("self_attn.q_proj.weight") != std::string::npos) w = interleaveRotaryRows(w, c.heads);
    if (p.key().find("self_attn.k_proj.weight") != std::string::npos) w = interleaveRotaryRows(w, c.kvHeads);
    // Vectors (norms) stay f32, as llama.cpp's quantiser leaves them.
    const exporting::GgmlType stored = w.dim() < 2 ? exporting::GgmlType::F32 : type;
    gguf.addTensor(ggufTensorName(p.key()), w.sizes().vec(), w.data_ptr<float>(), stored);
  }
  gguf.write(file);
}

engine::ExportedModel exportGguf(engine::Model& model, const Json&, const engine::ExportRequest& request) {
  const std::string& t = request.weightType;
  if (t != "f32" && t != "f16" && t != "q8_0")
    throw std::runtime_error("GGUF weights are f32, f16 or q8_0, not '" + t + "' (--type)");
  const exporting::GgmlType type = t == "f32"   ? exporting::GgmlType::F32
                                   : t == "f16" ? exporting::GgmlType::F16
                                                : exporting::GgmlType::Q8_0;
  const std::filesystem::path& file = request.destination;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  auto& lm = dynamic_cast<CausalLM&>(model);
  writeLlamaGguf(lm, file, type, request.name);
  return {{file}, {exporting::checkGgufFile(file, lm.network()->named_parameters().size())}, {}};
}

}  // namespace reef::llm

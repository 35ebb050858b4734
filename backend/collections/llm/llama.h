#pragma once
// A decoder-only transformer in the Llama layout: RMSNorm, rotary position embeddings (the
// rotate-half convention), grouped-query attention, SwiGLU feed-forward (or the engine's
// mixture of experts: the Mixtral variant), optional tied embeddings. Parameter names are the
// Hugging Face Llama names ("model.layers.0.self_attn.q_proj.weight", "lm_head.weight"), so an
// export needs no renaming. Attention is exact (softmax(QK^T / sqrt(d) + causal mask) V); a KV
// cache serves generation. Linear layers are either whole (and can take a LoRA adapter) or, with
// a tensor-parallel group, split Megatron-style: q/k/v, gate/up and the output head by columns,
// o and down by rows, the embedding by vocabulary rows; each rank then holds heads / tp heads.
#include "backend/engine/core/lora.h"
#include "backend/engine/parallel/fully_sharded.h"
#include "backend/engine/parallel/mixture_of_experts.h"
#include "backend/engine/parallel/process_group.h"

#include <torch/torch.h>

#include <memory>
#include <optional>
#include <vector>

namespace reef::llm {

struct LlamaConfig {
  int64_t vocab = 0;
  int64_t dim = 256;
  int64_t layers = 4;
  int64_t heads = 4;
  int64_t kvHeads = 4;
  int64_t ffnHidden = 0;  // 0: 8/3 * dim rounded up to a multiple of 64
  int64_t maxContext = 256;
  double ropeTheta = 10000;
  double normEps = 1e-5;
  bool tieEmbeddings = true;
  int64_t experts = 0;  // > 0: the Mixtral variant
  int64_t topK = 2;
  double capacityFactor = 1.25;
  std::shared_ptr<engine::ProcessGroup> tensorParallel;  // null: every layer whole
  std::shared_ptr<engine::ProcessGroup> expertParallel;  // null: every rank holds every expert

  int64_t headDim() const { return dim / heads; }
  int64_t tpSize() const { return tensorParallel ? tensorParallel->size() : 1; }
  int64_t epSize() const { return expertParallel ? expertParallel->size() : 1; }
  int64_t hidden() const { return ffnHidden > 0 ? ffnHidden : (8 * dim / 3 + 63) / 64 * 64; }
  // Multiply-adds x 2 per token of a forward+backward pass (6 N plus attention), for MFU.
  double trainingFlopsPerToken(int64_t context) const;
  int64_t parameterCount() const;
};

class PagedKvCache;

// Per layer keys and values of the tokens seen so far, for generation: contiguous (every row at
// the same length), or, with `paged`, in the blocks of a PagedKvCache whose plan() lays out the
// call (rows at their own positions; keys, values and length unused).
struct KvCache {
  std::vector<torch::Tensor> keys, values;  // [batch, kvHeads, capacity, headDim]
  int64_t length = 0;
  PagedKvCache* paged = nullptr;
};

class RmsNormImpl : public torch::nn::Module {
 public:
  RmsNormImpl(int64_t dim, double eps);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;

 private:
  double eps_;
};
TORCH_MODULE(RmsNorm);

class AttentionImpl : public torch::nn::Module {
 public:
  explicit AttentionImpl(const LlamaConfig& c);
  // x [B, T, dim]; cos/sin [T, headDim] for the positions of x; with a cache, attends to the
  // cached tokens too and appends x's keys and values.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin, KvCache* cache,
                        size_t layer);
  torch::nn::AnyModule q_proj, k_proj, v_proj, o_proj;

 private:
  torch::Tensor pagedAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& mask, double scale) const;
  int64_t heads_, kvHeads_, headDim_;  // heads_ and kvHeads_: this rank's
};
TORCH_MODULE(Attention);

class FeedForwardImpl : public torch::nn::Module {
 public:
  explicit FeedForwardImpl(const LlamaConfig& c);
  torch::Tensor forward(const torch::Tensor& x);
  torch::nn::AnyModule gate_proj, up_proj, down_proj;
};
TORCH_MODULE(FeedForward);

class DecoderLayerImpl : public torch::nn::Module {
 public:
  explicit DecoderLayerImpl(const LlamaConfig& c);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin, KvCache* cache,
                        size_t layer);
  // The balance loss of the layer's mixture of experts in the last forward (0 when dense).
  torch::Tensor auxLoss() const;

  Attention self_attn{nullptr};
  FeedForward mlp{nullptr};
  engine::MixtureOfExperts block_sparse_moe{nullptr};
  RmsNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
};
TORCH_MODULE(DecoderLayer);

class LlamaModelImpl : public torch::nn::Module {
 public:
  explicit LlamaModelImpl(const LlamaConfig& c);
  torch::Tensor forward(const torch::Tensor& ids, KvCache* cache);
  // Input embeddings [B, T, dim] (tokens already embedded, or other inputs projected to the
  // model's width: a captioner's image) -> final hidden states.
  torch::Tensor forwardEmbedded(torch::Tensor embedded, KvCache* cache);
  // The embedding table (this rank's vocabulary rows under tensor parallelism).
  torch::Tensor embeddingWeight() const;
  torch::nn::AnyModule embed_tokens;
  torch::nn::ModuleList layers{nullptr};
  RmsNorm norm{nullptr};
  // FSDP: each decoder layer becomes a unit ("model.layers.<i>") sharded over `group`.
  std::vector<engine::FullyShardedUnit*> shardLayers(const std::shared_ptr<engine::ProcessGroup>& group);

 private:
  LlamaConfig config_;
  std::vector<std::unique_ptr<engine::FullyShardedUnit>> units_;
  torch::Tensor cos_, sin_;  // [maxContext, headDim], not parameters
};
TORCH_MODULE(LlamaModel);

class LlamaForCausalLMImpl : public torch::nn::Module {
 public:
  explicit LlamaForCausalLMImpl(const LlamaConfig& c);
  // ids [B, T] -> logits [B, T, vocab] (this rank's vocabulary slice under tensor parallelism).
  torch::Tensor forward(const torch::Tensor& ids, KvCache* cache = nullptr);
  // The same from input embeddings [B, T, dim] (see LlamaModel::forwardEmbedded).
  torch::Tensor forwardEmbedded(const torch::Tensor& embedded, KvCache* cache = nullptr);
  // Next-token cross-entropy in nats of tokens [B, T + 1]: [B, T]. Exact under tensor parallelism
  // without gathering the logits.
  torch::Tensor nextTokenNats(const torch::Tensor& tokens);
  torch::Tensor auxLoss() const;  // summed over layers
  KvCache newCache(int64_t batch, int64_t capacity, const torch::TensorOptions& options) const;
  const LlamaConfig& config() const { return config_; }

  LlamaModel model{nullptr};
  torch::nn::AnyModule lm_head;  // empty with tied embeddings

 private:
  LlamaConfig config_;
};
TORCH_MODULE(LlamaForCausalLM);

}  // namespace reef::llm

#include "backend/collections/llm/llama.h"

#include "backend/collections/llm/paged_kv_cache.h"
#include "backend/collections/llm/rms_norm.h"
#include "backend/collections/llm/rotary_embedding.h"
#include "backend/collections/llm/swiglu.h"
#include "backend/engine/core/dense_products.h"
#include "backend/engine/parallel/collective_ops.h"
#include "backend/engine/parallel/tensor_parallel.h"

#include <cmath>
#include <stdexcept>

namespace reef::llm {

namespace {

// A projection split by output features across the tensor-parallel group, or whole.
torch::nn::AnyModule columnLinear(const LlamaConfig& c, int64_t in, int64_t out) {
  if (c.tpSize() > 1) return torch::nn::AnyModule(engine::ColumnParallelLinear(in, out, c.tensorParallel, false));
  return torch::nn::AnyModule(engine::LoraLinear(in, out, false));
}

// A projection split by input features (its input is a column-parallel output), or whole.
torch::nn::AnyModule rowLinear(const LlamaConfig& c, int64_t in, int64_t out) {
  if (c.tpSize() > 1) return torch::nn::AnyModule(engine::RowParallelLinear(in, out, c.tensorParallel, false, true));
  return torch::nn::AnyModule(engine::LoraLinear(in, out, false));
}

int64_t perRank(int64_t count, const LlamaConfig& c, const char* what) {
  if (count % c.tpSize() != 0)
    throw std::runtime_error(std::string(what) + " (" + std::to_string(count) +
                             ") must be divisible by trainer.tensor_parallel (" + std::to_string(c.tpSize()) + ")");
  return count / c.tpSize();
}

}  // namespace

double LlamaConfig::trainingFlopsPerToken(int64_t context) const {
  const double nonEmbedding = static_cast<double>(parameterCount() - (tieEmbeddings ? vocab * dim : 2 * vocab * dim)) +
                              static_cast<double>(vocab * dim);                // the output projection is compute
  const double attention = 2.0 * static_cast<double>(layers * context * dim);  // QK^T and AV per token, forward
  return 6.0 * nonEmbedding + 3.0 * attention;
}

int64_t LlamaConfig::parameterCount() const {
  const int64_t hd = headDim();
  const int64_t attention = dim * heads * hd + 2 * dim * kvHeads * hd + heads * hd * dim;
  const int64_t ffn = experts > 0 ? dim * experts + experts * 2 * dim * hidden() : 3 * dim * hidden();
  return vocab * dim * (tieEmbeddings ? 1 : 2) + layers * (attention + ffn + 2 * dim) + dim;
}

RmsNormImpl::RmsNormImpl(int64_t dim, double eps) : eps_(eps) {
  weight = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor RmsNormImpl::forward(const torch::Tensor& x) { return rmsNorm(x, weight, eps_); }

AttentionImpl::AttentionImpl(const LlamaConfig& c)
    : heads_(perRank(c.heads, c, "model.heads")),
      kvHeads_(perRank(c.kvHeads, c, "model.kv_heads")),
      headDim_(c.headDim()) {
  if (c.dim % c.heads != 0) throw std::runtime_error("model.dim must be divisible by model.heads");
  if (c.heads % c.kvHeads != 0) throw std::runtime_error("model.heads must be a multiple of model.kv_heads");
  if (headDim_ % 2 != 0) throw std::runtime_error("model.dim / model.heads must be even for rotary embeddings");
  q_proj = columnLinear(c, c.dim, c.heads * headDim_);
  k_proj = columnLinear(c, c.dim, c.kvHeads * headDim_);
  v_proj = columnLinear(c, c.dim, c.kvHeads * headDim_);
  o_proj = rowLinear(c, c.heads * headDim_, c.dim);
  register_module("q_proj", q_proj.ptr());
  register_module("k_proj", k_proj.ptr());
  register_module("v_proj", v_proj.ptr());
  register_module("o_proj", o_proj.ptr());
}

torch::Tensor AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                     KvCache* cache, size_t layer) {
  const int64_t b = x.size(0), t = x.size(1);
  torch::Tensor q = applyRotary(q_proj.forward(x).view({b, t, heads_, headDim_}), cos, sin).transpose(1, 2);
  torch::Tensor k = applyRotary(k_proj.forward(x).view({b, t, kvHeads_, headDim_}), cos, sin).transpose(1, 2);
  torch::Tensor v = v_proj.forward(x).view({b, t, kvHeads_, headDim_}).transpose(1, 2);
  const double scale = 1.0 / std::sqrt(static_cast<double>(headDim_));
  if (cache && cache->paged) {
    PagedKvCache& paged = *cache->paged;
    paged.write(layer, k, v);
    if (paged.attendsInPlace(q))
      return o_proj.forward(paged.attend(layer, q, scale).transpose(1, 2).reshape({b, t, -1}));
    std::tie(k, v) = paged.gather(layer);
    return o_proj.forward(
        pagedAttention(q, k, v, paged.groupedMask(heads_ / kvHeads_), scale).transpose(1, 2).reshape({b, t, -1}));
  }
  int64_t offset = 0;
  if (cache) {
    offset = cache->length;
    if (offset + t > cache->keys[layer].size(2))
      throw std::runtime_error("the KV cache is full: generate fewer tokens");
    cache->keys[layer].narrow(2, offset, t).copy_(k);
    cache->values[layer].narrow(2, offset, t).copy_(v);
    k = cache->keys[layer].narrow(2, 0, offset + t);
    v = cache->values[layer].narrow(2, 0, offset + t);
  }
  if (kvHeads_ != heads_) {  // grouped-query attention: each key/value head serves heads / kvHeads queries
    k = k.repeat_interleave(heads_ / kvHeads_, 1);
    v = v.repeat_interleave(heads_ / kvHeads_, 1);
  }
  // Query i (position offset + i) sees keys 0 .. offset + i.
  const torch::Tensor scores = engine::denseAttentionScores(q, k, scale, t > 1);
  const torch::Tensor attention = torch::softmax(scores.to(torch::kFloat32), -1).to(q.scalar_type());
  return o_proj.forward(engine::denseMatmul(attention, v).transpose(1, 2).reshape({b, t, heads_ * headDim_}));
}

// q [B, heads, T, d]; k, v [kvHeads, B, L, d] as the paged cache gathers them. The queries of each
// key/value head are put together ([kvHeads, B, groups x T, d]) so that the keys and values, the
// bulk of the data, are used as gathered, never repeated or transposed.
torch::Tensor AttentionImpl::pagedAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                            const torch::Tensor& mask, double scale) const {
  const int64_t b = q.size(0), t = q.size(2), groups = heads_ / kvHeads_;
  const torch::Tensor grouped = q.reshape({b, kvHeads_, groups * t, headDim_}).transpose(0, 1);
  // mask [1, B, groups x T, L], rows in the queries' (group, position) order.
  const torch::Tensor scores = engine::denseAttentionScores(grouped, k, scale, false) + mask;
  const torch::Tensor attention = torch::softmax(scores.to(torch::kFloat32), -1).to(q.scalar_type());
  return engine::denseMatmul(attention, v).transpose(0, 1).reshape({b, heads_, t, headDim_});
}

FeedForwardImpl::FeedForwardImpl(const LlamaConfig& c) {
  perRank(c.hidden(), c, "the feed-forward width (model.ffn_hidden)");
  gate_proj = columnLinear(c, c.dim, c.hidden());
  up_proj = columnLinear(c, c.dim, c.hidden());
  down_proj = rowLinear(c, c.hidden(), c.dim);
  register_module("gate_proj", gate_proj.ptr());
  register_module("up_proj", up_proj.ptr());
  register_module("down_proj", down_proj.ptr());
}

torch::Tensor FeedForwardImpl::forward(const torch::Tensor& x) {
  return down_proj.forward(swiglu(gate_proj.forward(x), up_proj.forward(x)));
}

DecoderLayerImpl::DecoderLayerImpl(const LlamaConfig& c) {
  self_attn = register_module("self_attn", Attention(c));
  if (c.experts > 0)
    block_sparse_moe = register_module(
        "block_sparse_moe",
        engine::MixtureOfExperts(engine::MoeOptions{c.dim, c.hidden(), c.experts, c.topK, c.capacityFactor},
                                 c.expertParallel ? c.expertParallel : engine::singleProcessGroup()));
  else
    mlp = register_module("mlp", FeedForward(c));
  input_layernorm = register_module("input_layernorm", RmsNorm(c.dim, c.normEps));
  post_attention_layernorm = register_module("post_attention_layernorm", RmsNorm(c.dim, c.normEps));
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                        KvCache* cache, size_t layer) {
  const torch::Tensor h = x + self_attn->forward(input_layernorm->forward(x), cos, sin, cache, layer);
  const torch::Tensor n = post_attention_layernorm->forward(h);
  if (block_sparse_moe) {
    const auto shape = n.sizes().vec();
    return h + block_sparse_moe->forward(n.reshape({-1, shape.back()})).view(shape);
  }
  return h + mlp->forward(n);
}

torch::Tensor DecoderLayerImpl::auxLoss() const {
  return block_sparse_moe ? block_sparse_moe->auxLoss() : torch::Tensor();
}

LlamaModelImpl::LlamaModelImpl(const LlamaConfig& c) : config_(c) {
  if (c.tpSize() > 1) {
    perRank(c.vocab, c, "the vocabulary size");
    embed_tokens = torch::nn::AnyModule(engine::VocabParallelEmbedding(c.vocab, c.dim, c.tensorParallel));
  } else {
    embed_tokens = torch::nn::AnyModule(torch::nn::Embedding(c.vocab, c.dim));
  }
  register_module("embed_tokens", embed_tokens.ptr());
  layers = register_module("layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < c.layers; ++i) layers->push_back(DecoderLayer(c));
  norm = register_module("norm", RmsNorm(c.dim, c.normEps));
  const int64_t hd = c.headDim();
  const torch::Tensor invFreq =
      1.0 / torch::pow(c.ropeTheta, torch::arange(0, hd, 2, torch::kFloat64) / static_cast<double>(hd));
  const torch::Tensor freqs = torch::outer(torch::arange(c.maxContext, torch::kFloat64), invFreq);
  const torch::Tensor angles = torch::cat({freqs, freqs}, -1);
  cos_ = angles.cos().to(torch::kFloat32);
  sin_ = angles.sin().to(torch::kFloat32);
}

torch::Tensor LlamaModelImpl::forward(const torch::Tensor& ids, KvCache* cache) {
  return forwardEmbedded(embed_tokens.forward(ids), cache);
}

torch::Tensor LlamaModelImpl::forwardEmbedded(torch::Tensor h, KvCache* cache) {
  const int64_t t = h.size(1), offset = cache && !cache->paged ? cache->length : 0;
  if (offset + t > config_.maxContext)
    throw std::runtime_error("sequence of " + std::to_string(offset + t) + " tokens exceeds the model's context of " +
                             std::to_string(config_.maxContext));
  if (cos_.device() != h.device()) {
    cos_ = cos_.to(h.device());
    sin_ = sin_.to(h.device());
  }
  torch::Tensor cos = cos_.narrow(0, offset, t), sin = sin_.narrow(0, offset, t);
  if (cache && cache->paged) {  // each row at its own positions: [rows, t, headDim]
    const torch::Tensor& positions = cache->paged->positions();
    if (cache->paged->nextPosition() > config_.maxContext)
      throw std::runtime_error("a sequence runs past the model's context of " + std::to_string(config_.maxContext));
    cos = cos_.index_select(0, positions.flatten()).view({positions.size(0), t, -1});
    sin = sin_.index_select(0, positions.flatten()).view({positions.size(0), t, -1});
  }
  for (size_t i = 0; i < layers->size(); ++i) {
    auto layer = layers->ptr<DecoderLayerImpl>(i);
    if (units_.empty()) {
      h = layer->forward(h, cos, sin, cache, i);
      continue;
    }
    if (cache) throw std::runtime_error("generation runs on one process: load the checkpoint without FSDP");
    h = units_[i]->forward(
        h, [layer, cos, sin, i](const torch::Tensor& x) { return layer->forward(x, cos, sin, nullptr, i); });
  }
  if (cache && !cache->paged) cache->length += t;
  return norm->forward(h);
}

std::vector<engine::FullyShardedUnit*> LlamaModelImpl::shardLayers(const std::shared_ptr<engine::ProcessGroup>& group) {
  if (config_.experts > 0)
    throw std::runtime_error(
        "FSDP recomputes each layer in backward, which would lose the Mixtral balance loss: "
        "train the Mixtral variant with trainer.strategy: ddp");
  std::vector<engine::FullyShardedUnit*> out;
  for (size_t i = 0; i < layers->size(); ++i) {
    units_.push_back(std::make_unique<engine::FullyShardedUnit>("model.layers." + std::to_string(i), layers[i], group));
    out.push_back(units_.back().get());
  }
  return out;
}

torch::Tensor LlamaModelImpl::embeddingWeight() const { return embed_tokens.ptr()->named_parameters(false)["weight"]; }

LlamaForCausalLMImpl::LlamaForCausalLMImpl(const LlamaConfig& c) : config_(c) {
  model = register_module("model", LlamaModel(c));
  if (!c.tieEmbeddings) {
    lm_head = columnLinear(c, c.dim, c.vocab);
    register_module("lm_head", lm_head.ptr());
  }
  // Small initial weights keep the first losses near log(vocab), as GPT-style inits do. Each
  // matrix is drawn whole and sliced, so every tensor-parallel size starts from the same model.
  torch::NoGradGuard noGrad;
  const auto layout = engine::tensorParallelLayout(*this);
  for (auto& p : named_parameters()) {
    if (p.value().dim() != 2) continue;
    const int64_t dim = engine::splitDimension(layout, p.key());
    if (dim < 0) {
      p.value().normal_(0.0, 0.02);
      continue;
    }
    auto shape = p.value().sizes().vec();
    const int64_t rows = shape[dim];
    shape[dim] *= c.tpSize();
    p.value().copy_(torch::empty(shape).normal_(0.0, 0.02).narrow(dim, c.tensorParallel->rank() * rows, rows));
  }
}

torch::Tensor LlamaForCausalLMImpl::forward(const torch::Tensor& ids, KvCache* cache) {
  return forwardEmbedded(model->embed_tokens.forward(ids), cache);
}

torch::Tensor LlamaForCausalLMImpl::forwardEmbedded(const torch::Tensor& embedded, KvCache* cache) {
  const torch::Tensor h = model->forwardEmbedded(embedded, cache);
  if (!lm_head.is_empty()) return lm_head.forward(h);
  // Tied: this rank's embedding rows are its slice of the output vocabulary.
  const torch::Tensor input = config_.tpSize() > 1 ? engine::collective::copyToGroup(h, config_.tensorParallel) : h;
  return engine::denseLinear(input, model->embeddingWeight());
}

torch::Tensor LlamaForCausalLMImpl::nextTokenNats(const torch::Tensor& tokens) {
  const int64_t t = tokens.size(1) - 1;
  const torch::Tensor logits = forward(tokens.narrow(1, 0, t));
  const torch::Tensor targets = tokens.narrow(1, 1, t).reshape(-1);
  const auto group = config_.tpSize() > 1 ? config_.tensorParallel : engine::singleProcessGroup();
  const int64_t firstClass = group->rank() * logits.size(-1);
  return engine::vocabParallelCrossEntropy(logits.reshape({-1, logits.size(-1)}), targets, firstClass, group)
      .view({tokens.size(0), t});
}

torch::Tensor LlamaForCausalLMImpl::auxLoss() const {
  torch::Tensor total;
  for (const auto& layer : *model->layers) {
    const torch::Tensor aux = layer->as<DecoderLayer>()->auxLoss();
    if (aux.defined()) total = total.defined() ? total + aux : aux;
  }
  return total;
}

KvCache LlamaForCausalLMImpl::newCache(int64_t batch, int64_t capacity, const torch::TensorOptions& options) const {
  KvCache cache;
  for (int64_t i = 0; i < config_.layers; ++i) {
    cache.keys.push_back(torch::zeros({batch, config_.kvHeads, capacity, config_.headDim()}, options));
    cache.values.push_back(torch::zeros({batch, config_.kvHeads, capacity, config_.headDim()}, options));
  }
  return cache;
}

}  // namespace reef::llm

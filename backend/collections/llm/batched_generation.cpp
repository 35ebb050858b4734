#include "backend/collections/llm/batched_generation.h"

#include <stdexcept>
#include <utility>

namespace reef::llm {

namespace {

int64_t cacheBlocks(const LlamaConfig& c, const engine::BatchLimits& limits) {
  if (limits.maxSequences < 1)
    throw std::runtime_error("a generation batch needs room for one sequence at least (max sequences " +
                             std::to_string(limits.maxSequences) + ")");
  const int64_t perSequence = (c.maxContext + BatchedGeneration::kBlockTokens - 1) / BatchedGeneration::kBlockTokens;
  const int64_t tokens = limits.cacheTokens > 0 ? limits.cacheTokens : limits.maxSequences * c.maxContext;
  const int64_t blocks = tokens / BatchedGeneration::kBlockTokens;
  if (blocks < perSequence)
    throw std::runtime_error("a KV cache of " + std::to_string(tokens) +
                             " tokens cannot hold one sequence of the model's context (" +
                             std::to_string(c.maxContext) + " tokens): give it at least that many");
  return blocks;
}

// Row `i` of a step's logits [rows, vocab] (float64, contiguous), read directly: a LibTorch select
// and conversion per sequence per step cost more than the copy.
std::vector<double> rowOf(const torch::Tensor& logits, int64_t i) {
  const int64_t vocab = logits.size(1);
  const double* row = logits.data_ptr<double>() + i * vocab;
  return {row, row + vocab};
}

}  // namespace

BatchedGeneration::BatchedGeneration(LlamaForCausalLM net, const text::Tokenizer& tokenizer,
                                     const engine::BatchLimits& limits)
    : net_(std::move(net)),
      device_(net_->parameters().front().device()),
      tokenizer_(tokenizer),
      limits_(limits),
      cache_(net_->config().layers, net_->config().kvHeads / net_->config().tpSize(), net_->config().headDim(),
             cacheBlocks(net_->config(), limits), kBlockTokens,
             torch::TensorOptions().dtype(torch::kFloat32).device(device_)) {}

torch::Tensor BatchedGeneration::forward(const std::vector<PagedKvCache::Row>& rows, const std::vector<int64_t>& ids) {
  torch::NoGradGuard noGrad;
  cache_.plan(rows);
  KvCache view;
  view.paged = &cache_;
  const torch::Tensor input = torch::tensor(ids).view({static_cast<int64_t>(rows.size()), -1}).to(device_);
  return net_->forward(input, &view).select(1, -1).to(torch::kCPU, torch::kFloat64).contiguous();  // one per step
}

bool BatchedGeneration::add(uint64_t id, const std::string& prompt, const engine::SamplingOptions& options,
                            engine::TokenCallback onText) {
  if (static_cast<int64_t>(running_.size()) >= limits_.maxSequences) return false;
  auto decoder =
      std::make_unique<SequenceDecoder>(tokenizer_, prompt, options, std::move(onText), net_->config().maxContext);
  if (!cache_.reserve(id, decoder->capacity())) return false;
  Sequence s{id, std::move(decoder), 0};
  const std::vector<int>& tokens = s.decoder->tokens();
  if (!s.decoder->finished()) try {
      const auto size = static_cast<int64_t>(tokens.size());
      const torch::Tensor logits = forward({{id, 0, size}}, std::vector<int64_t>(tokens.begin(), tokens.end()));
      s.cached = size;
      s.decoder->advance(rowOf(logits, 0));
    } catch (...) {
      cache_.release(id);
      throw;
    }
  if (s.decoder->finished())
    retire(s);
  else
    running_.push_back(std::move(s));
  return true;
}

std::vector<engine::GenerationBatch::Finished> BatchedGeneration::step() {
  if (!running_.empty()) {
    std::vector<PagedKvCache::Row> rows;
    std::vector<int64_t> last;
    for (const Sequence& s : running_) {
      rows.push_back({s.id, s.cached, 1});
      last.push_back(s.decoder->tokens().back());
    }
    const torch::Tensor logits = forward(rows, last);
    std::vector<Sequence> still;
    for (size_t i = 0; i < running_.size(); ++i) {
      Sequence& s = running_[i];
      ++s.cached;
      if (s.decoder->advance(rowOf(logits, static_cast<int64_t>(i))))
        still.push_back(std::move(s));
      else
        retire(s);
    }
    running_ = std::move(still);
  }
  return std::exchange(finished_, {});
}

void BatchedGeneration::retire(Sequence& sequence) {
  cache_.release(sequence.id);
  finished_.push_back({sequence.id, sequence.decoder->finish()});
}

}  // namespace reef::llm

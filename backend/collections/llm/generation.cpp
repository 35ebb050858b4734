#include "backend/collections/llm/generation.h"

#include "backend/collections/llm/sequence_decoder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

namespace reef::llm {

namespace {

double uniform(uint64_t& state) {
  // splitmix64: the same stream for a seed on every platform.
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / 9007199254740992.0;
}

}  // namespace

std::vector<double> hostLogits(const torch::Tensor& logits) {
  const torch::Tensor values = logits.to(torch::kCPU, torch::kFloat64).contiguous();
  const double* v = values.data_ptr<double>();
  return {v, v + values.numel()};
}

int sampleToken(const torch::Tensor& logits, const std::vector<int>& history, const SamplingOptions& o, uint64_t& rng) {
  return sampleToken(hostLogits(logits), history, o, rng);
}

int sampleToken(std::vector<double> logits, const std::vector<int>& history, const SamplingOptions& o, uint64_t& rng) {
  double* l = logits.data();
  const auto vocab = static_cast<int64_t>(logits.size());
  if (o.repetitionPenalty != 1.0) {
    std::vector<bool> seen(static_cast<size_t>(vocab), false);
    for (int t : history)
      if (t >= 0 && t < vocab) seen[static_cast<size_t>(t)] = true;
    for (int64_t i = 0; i < vocab; ++i)
      if (seen[static_cast<size_t>(i)]) l[i] = l[i] > 0 ? l[i] / o.repetitionPenalty : l[i] * o.repetitionPenalty;
  }
  if (o.temperature <= 0) return static_cast<int>(std::max_element(l, l + vocab) - l);
  std::vector<int> order(static_cast<size_t>(vocab));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return l[a] > l[b]; });
  size_t keep = o.topK > 0 ? std::min<size_t>(static_cast<size_t>(o.topK), order.size()) : order.size();
  std::vector<double> p(keep);
  const double top = l[order[0]];
  double total = 0;
  for (size_t i = 0; i < keep; ++i) total += (p[i] = std::exp((l[order[i]] - top) / o.temperature));
  if (o.topP < 1.0) {  // the smallest head of the distribution holding top_p of its mass
    double mass = 0;
    size_t i = 0;
    for (; i < keep; ++i) {
      mass += p[i] / total;
      if (mass >= o.topP) break;
    }
    keep = std::min(keep, i + 1);
    total = std::accumulate(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(keep), 0.0);
  }
  double r = uniform(rng) * total;
  for (size_t i = 0; i < keep; ++i) {
    r -= p[i];
    if (r <= 0) return order[i];
  }
  return order[keep - 1];
}

GenerationResult generate(LlamaForCausalLM& net, const text::Tokenizer& tokenizer, const std::string& prompt,
                          const SamplingOptions& o, const TokenCallback& onText) {
  torch::NoGradGuard noGrad;
  const bool wasTraining = net->is_training();
  net->eval();
  const torch::Device device = net->parameters().front().device();
  SequenceDecoder sequence(tokenizer, prompt, o, onText, net->config().maxContext);
  KvCache cache;
  if (o.useCache)
    cache = net->newCache(1, sequence.capacity(), torch::TensorOptions().device(device).dtype(torch::kFloat32));
  auto tensorOf = [&](size_t from) {
    const std::vector<int>& ids = sequence.tokens();
    std::vector<int64_t> v(ids.begin() + static_cast<std::ptrdiff_t>(from), ids.end());
    return torch::tensor(v, torch::kInt64).view({1, -1}).to(device);
  };
  torch::Tensor logits = o.useCache ? net->forward(tensorOf(0), &cache) : net->forward(tensorOf(0));
  while (!sequence.finished() && sequence.advance(logits[0][-1]))
    logits = o.useCache ? net->forward(tensorOf(sequence.tokens().size() - 1), &cache) : net->forward(tensorOf(0));
  net->train(wasTraining);
  return sequence.finish();
}

}  // namespace reef::llm

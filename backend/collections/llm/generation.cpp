#include "backend/collections/llm/generation.h"

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

// Length of the longest prefix of `s` made of whole UTF-8 characters.
size_t completeUtf8(const std::string& s) {
  size_t i = s.size();
  for (size_t back = 1; back <= 3 && back <= s.size(); ++back) {
    const auto c = static_cast<unsigned char>(s[s.size() - back]);
    if ((c & 0xc0) == 0x80) continue;  // a continuation byte: look further back
    const size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    if (need > back) i = s.size() - back;
    break;
  }
  return i;
}

// The generated text as it continues the prompt: a piece's leading "\u2581" is the space before
// it, except at the start of a document, where SentencePiece drops its dummy prefix.
std::string continuation(const text::Tokenizer& tokenizer, const std::vector<int>& ids, bool documentStart) {
  if (documentStart) return tokenizer.decode(ids);
  std::string out;
  for (int id : ids) out += tokenizer.tokenText(id);
  return out;
}

// Length of the longest tail of `text` that could still grow into a stop string: held back from
// the stream, so that a stop string never reaches the caller in part.
size_t pendingStop(const std::string& text, const std::vector<std::string>& stops) {
  size_t held = 0;
  for (const auto& s : stops)
    for (size_t k = std::min(s.size() - (s.empty() ? 0 : 1), text.size()); k > held; --k)
      if (text.compare(text.size() - k, k, s, 0, k) == 0) {
        held = k;
        break;
      }
  return held;
}

}  // namespace

int sampleToken(torch::Tensor logits, const std::vector<int>& history, const SamplingOptions& o, uint64_t& rng) {
  logits = logits.to(torch::kFloat64).contiguous().clone();
  double* l = logits.data_ptr<double>();
  const int64_t vocab = logits.numel();
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
  const auto start = std::chrono::steady_clock::now();
  torch::NoGradGuard noGrad;
  const bool wasTraining = net->is_training();
  net->eval();
  const torch::Device device = net->parameters().front().device();
  GenerationResult result;
  // Generation starts a document: after the boundary token the model saw between documents.
  result.promptTokens = {tokenizer.eos()};
  const std::vector<int> encoded = tokenizer.encode(prompt);
  result.promptTokens.insert(result.promptTokens.end(), encoded.begin(), encoded.end());
  const int64_t context = net->config().maxContext;
  if (static_cast<int64_t>(result.promptTokens.size()) >= context)
    throw std::runtime_error("the prompt has " + std::to_string(result.promptTokens.size()) +
                             " tokens, no room left in the model's context of " + std::to_string(context));
  const int64_t capacity = std::min<int64_t>(context, static_cast<int64_t>(result.promptTokens.size()) + o.maxTokens);
  KvCache cache;
  if (o.useCache) cache = net->newCache(1, capacity, torch::TensorOptions().device(device).dtype(torch::kFloat32));
  std::vector<int> all = result.promptTokens;
  uint64_t rng = o.seed;
  size_t emitted = 0;
  std::string text;
  auto tensorOf = [&](const std::vector<int>& ids, size_t from) {
    std::vector<int64_t> v(ids.begin() + static_cast<std::ptrdiff_t>(from), ids.end());
    return torch::tensor(v, torch::kInt64).view({1, -1}).to(device);
  };
  torch::Tensor logits = o.useCache ? net->forward(tensorOf(all, 0), &cache) : net->forward(tensorOf(all, 0));
  result.finishReason = "length";
  while (static_cast<int64_t>(result.tokens.size()) < o.maxTokens && static_cast<int64_t>(all.size()) < capacity + 1) {
    const int next = sampleToken(logits[0][-1], all, o, rng);
    if (next == tokenizer.eos() && !o.ignoreEos) {
      result.finishReason = "stop";
      break;
    }
    result.tokens.push_back(next);
    all.push_back(next);
    text = continuation(tokenizer, result.tokens, encoded.empty());
    bool stopped = false;
    for (const auto& s : o.stop) {
      const auto at = s.empty() ? std::string::npos : text.find(s);
      if (at != std::string::npos) {
        text.resize(at);
        stopped = true;
      }
    }
    const size_t ready = stopped ? text.size() : std::min(completeUtf8(text), text.size() - pendingStop(text, o.stop));
    if (onText && ready > emitted) {
      if (!onText(text.substr(emitted, ready - emitted))) stopped = true;
      emitted = ready;
    }
    if (stopped) {
      result.finishReason = "stop";
      break;
    }
    if (static_cast<int64_t>(all.size()) >= capacity) break;
    logits = o.useCache ? net->forward(tensorOf(all, all.size() - 1), &cache) : net->forward(tensorOf(all, 0));
  }
  result.text = text;
  if (onText && text.size() > emitted) onText(text.substr(emitted));
  net->train(wasTraining);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace reef::llm

#include "backend/collections/llm/sequence_decoder.h"

#include "backend/collections/llm/generation.h"

#include <algorithm>
#include <stdexcept>

namespace reef::llm {

namespace {

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

SequenceDecoder::SequenceDecoder(const text::Tokenizer& tokenizer, const std::string& prompt,
                                 const engine::SamplingOptions& options, engine::TokenCallback onText, int64_t context)
    : tokenizer_(tokenizer), options_(options), onText_(std::move(onText)), rng_(options.seed) {
  // Generation starts a document: after the boundary token the model saw between documents.
  result_.promptTokens = {tokenizer.eos()};
  const std::vector<int> encoded = tokenizer.encode(prompt);
  documentStart_ = encoded.empty();
  result_.promptTokens.insert(result_.promptTokens.end(), encoded.begin(), encoded.end());
  const auto promptSize = static_cast<int64_t>(result_.promptTokens.size());
  if (promptSize >= context)
    throw std::runtime_error("the prompt has " + std::to_string(promptSize) +
                             " tokens, no room left in the model's context of " + std::to_string(context));
  capacity_ = std::min<int64_t>(context, promptSize + std::max<int64_t>(options.maxTokens, 0));
  all_ = result_.promptTokens;
  result_.finishReason = "length";
  finished_ = options.maxTokens <= 0;
}

bool SequenceDecoder::advance(const torch::Tensor& logits) { return advance(hostLogits(logits)); }

bool SequenceDecoder::advance(std::vector<double> logits) {
  if (finished_) return false;
  const int next = sampleToken(std::move(logits), all_, options_, rng_);
  if (all_.size() == result_.promptTokens.size())
    result_.firstTokenSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (next == tokenizer_.eos() && !options_.ignoreEos) {
    result_.finishReason = "stop";
    return !(finished_ = true);
  }
  result_.tokens.push_back(next);
  all_.push_back(next);
  std::string& text = result_.text;
  // The text as it continues the prompt: a piece's leading "\u2581" is the space before it, so
  // each piece is appended (decoding the whole reply again for every token made long replies
  // quadratic), except at the start of a document, where SentencePiece drops its dummy prefix.
  if (documentStart_)
    text = tokenizer_.decode(result_.tokens);
  else
    text += tokenizer_.tokenText(next);
  bool stopped = false;
  for (const auto& s : options_.stop) {
    const auto at = s.empty() ? std::string::npos : text.find(s);
    if (at != std::string::npos) {
      text.resize(at);
      stopped = true;
    }
  }
  const size_t ready =
      stopped ? text.size() : std::min(completeUtf8(text), text.size() - pendingStop(text, options_.stop));
  if (onText_ && ready > emitted_) {
    if (!onText_(text.substr(emitted_, ready - emitted_))) stopped = true;
    emitted_ = ready;
  }
  if (stopped) result_.finishReason = "stop";
  finished_ = stopped || static_cast<int64_t>(result_.tokens.size()) >= options_.maxTokens ||
              static_cast<int64_t>(all_.size()) >= capacity_;
  return !finished_;
}

engine::GenerationResult SequenceDecoder::finish() {
  finished_ = true;
  if (onText_ && result_.text.size() > emitted_) onText_(result_.text.substr(emitted_));
  emitted_ = result_.text.size();
  result_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return result_;
}

}  // namespace reef::llm

#include "backend/collections/asr/asr_vocabulary.h"

#include "backend/protocol/audio/word_errors.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace reef::asr {

AsrVocabulary AsrVocabulary::characters(const std::string& alphabet) {
  AsrVocabulary v;
  for (const auto& c : protocol::audio::characters(alphabet))
    if (std::find(v.alphabet_.begin(), v.alphabet_.end(), c) == v.alphabet_.end()) v.alphabet_.push_back(c);
  if (v.alphabet_.empty()) throw std::invalid_argument("model.alphabet is empty: list the characters the model writes");
  return v;
}

AsrVocabulary AsrVocabulary::subwords(const std::filesystem::path& tokenizerModel) {
  AsrVocabulary v;
  v.tokenizer_ = text::Tokenizer::load(tokenizerModel);
  // The alphabet still decides which characters survive normalisation: those of the pieces.
  std::string seen;
  for (int id = 0; id < v.tokenizer_->vocabSize(); ++id)
    if (v.tokenizer_->piece(id).type == text::Tokenizer::PieceType::Normal)
      for (const auto& c : protocol::audio::characters(v.tokenizer_->tokenText(id)))
        if (std::find(v.alphabet_.begin(), v.alphabet_.end(), c) == v.alphabet_.end()) v.alphabet_.push_back(c);
  if (std::find(v.alphabet_.begin(), v.alphabet_.end(), " ") == v.alphabet_.end()) v.alphabet_.push_back(" ");
  return v;
}

std::string AsrVocabulary::normalise(const std::string& text) const {
  std::string out;
  for (auto c : protocol::audio::characters(text)) {
    if (c.size() == 1) c[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(c[0])));
    if (std::find(alphabet_.begin(), alphabet_.end(), c) == alphabet_.end()) c = " ";
    if (c == " " && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::vector<int64_t> AsrVocabulary::encode(const std::string& text) const {
  const std::string clean = normalise(text);
  std::vector<int64_t> ids;
  if (tokenizer_) {
    for (const int id : tokenizer_->encode(clean)) ids.push_back(id + 1);
    return ids;
  }
  for (const auto& c : protocol::audio::characters(clean))
    ids.push_back(std::find(alphabet_.begin(), alphabet_.end(), c) - alphabet_.begin() + 1);
  return ids;
}

std::string AsrVocabulary::decode(const std::vector<int64_t>& ids) const {
  std::vector<int> labels;
  for (const auto id : ids)
    if (id > 0) labels.push_back(static_cast<int>(id - 1));
  if (tokenizer_) return normalise(tokenizer_->decode(labels));
  std::string out;
  for (const int l : labels) out += alphabet_.at(static_cast<size_t>(l));
  return normalise(out);
}

int64_t AsrVocabulary::size() const {
  return 1 + (tokenizer_ ? tokenizer_->vocabSize() : static_cast<int64_t>(alphabet_.size()));
}

std::string AsrVocabulary::labelText(int64_t id) const {
  if (id <= 0) return "";
  if (tokenizer_) return tokenizer_->tokenText(static_cast<int>(id - 1));
  return alphabet_.at(static_cast<size_t>(id - 1));
}

}  // namespace reef::asr

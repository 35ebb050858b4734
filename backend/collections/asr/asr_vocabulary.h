#pragma once
// What an ASR model writes: characters (a fixed alphabet) or SentencePiece sub-words (the LLM
// collection's tokenizer). Id 0 is CTC's blank; label ids start at 1.
#include "backend/collections/text/tokenizer.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace reef::asr {

class AsrVocabulary {
 public:
  // Each UTF-8 code point of `alphabet` is a label (a space among them separates words).
  static AsrVocabulary characters(const std::string& alphabet);
  static AsrVocabulary subwords(const std::filesystem::path& tokenizerModel);

  // Lower-cased; characters outside the alphabet become spaces, runs of spaces one space (the
  // same normalisation is applied to references before scoring).
  std::string normalise(const std::string& text) const;
  std::vector<int64_t> encode(const std::string& text) const;  // of normalise(text)
  std::string decode(const std::vector<int64_t>& ids) const;   // blanks ignored
  int64_t size() const;                                        // labels + blank
  bool isSubword() const { return tokenizer_.has_value(); }
  // A label's text ("▁" shown as a space for sub-words).
  std::string labelText(int64_t id) const;
  const std::vector<std::string>& alphabet() const { return alphabet_; }

 private:
  std::vector<std::string> alphabet_;  // label id - 1 -> character
  std::optional<text::Tokenizer> tokenizer_;
};

}  // namespace reef::asr

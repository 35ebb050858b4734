#pragma once
// What the NLP models share about their files: paths from the spec (absolute, or under the data
// root), the SentencePiece tokenizer (loaded with the fix when missing; its pad id), which split a
// text belongs to, and the split a Split names.
#include "backend/collections/text/tokenizer.h"
#include "backend/engine/core/dataset.h"

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace reef::nlp {

std::filesystem::path underDataRoot(const std::filesystem::path& root, const std::string& path);

// Throws naming the path and how to make the tokenizer (data.tokenizer) when it is missing.
text::Tokenizer loadTokenizer(const std::filesystem::path& path);

// A text's tokens as the encoders read them: cut to maxLength, never empty (unk for no text).
std::vector<int> encoderTokens(const text::Tokenizer& tokenizer, const std::string& text, int64_t maxLength);

// The id that pads batches: the tokenizer's pad piece, or unk when it has none.
int padId(const text::Tokenizer& tokenizer);

// The items of a comma-separated list, trimmed of spaces; empty items are dropped.
std::vector<std::string> commaList(const std::string& text);

// The split of a text, from a hash of its bytes: a tenth is test, a tenth validation. Every NLP
// task splits by this one rule, so that pretraining on a file never trains on a text that a
// fine-tune on the same file evaluates (and copies of a text always share a split).
engine::Split splitOfText(const std::string& text);
// The 64-bit FNV-1a hash of a text's bytes, the same on every machine and build.
uint64_t textHash(const std::string& text);

// Calls `each` with every passage of `file`: a line of a text file, or the `textField` string of a
// JSON-lines file (.jsonl). Throws naming the file (and `howToFix`) when it cannot be read, and the
// line when it has no such field.
void forEachPassage(const std::filesystem::path& file, const std::string& textField, const std::string& howToFix,
                    const std::function<void(const std::string&)>& each);

// data.train / val / test for `split`, for any data with those three members.
template <typename Data>
std::shared_ptr<engine::Dataset> splitOf(const Data& data, engine::Split split) {
  switch (split) {
    case engine::Split::Train:
      return data.train;
    case engine::Split::Val:
      return data.val;
    case engine::Split::Test:
      return data.test;
  }
  return nullptr;
}

}  // namespace reef::nlp

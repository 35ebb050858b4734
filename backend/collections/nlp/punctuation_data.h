#pragma once
// Punctuation and capitalisation data (NeMo's PunctuationCapitalizationModel task) from plain
// prose: each line of the corpus (or each JSON line's text field) becomes examples of lower-cased
// words without punctuation, labelled per word with the mark that followed it and whether it
// began with a capital. Words are split into the tokenizer's pieces; the punctuation label sits on
// a word's last piece and the capital label on its first, every other piece is ignored (-100).
#include "backend/collections/text/tokenizer.h"
#include "backend/engine/core/dataset.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace reef::nlp {

// Marks the model restores, label 0 being none: NeMo's set. Other marks (! : ; and the rest) are
// dropped from the input and not restored.
const std::vector<std::string>& punctuationMarks();  // "", ",", ".", "?"

struct Word {
  std::string text;  // lower-cased, without punctuation
  int mark = 0;      // index into punctuationMarks()
  bool capital = false;
};

// The words of `text` with their labels. Quotes, brackets and other symbols are dropped; a word
// followed by several marks keeps the last one of the set.
std::vector<Word> labelledWords(const std::string& text);

struct TaggedExample {
  std::vector<int> tokens;
  std::vector<int> punctuation;  // per token: a mark index, or -100
  std::vector<int> capital;      // per token: 0/1, or -100
};

// Pieces of `words` (lower-cased) with their labels, cut at a word boundary to `maxLength` tokens.
TaggedExample tagWords(const std::vector<Word>& words, const text::Tokenizer& tokenizer, int64_t maxLength);

// Batches: "tokens" [B, L] (padded with `pad`), "punctuation" and "capital" [B, L] (-100 at padding).
class TaggedTextDataset : public engine::Dataset {
 public:
  TaggedTextDataset(std::vector<TaggedExample> examples, int pad);
  int64_t size() const override { return static_cast<int64_t>(examples_.size()); }
  engine::Batch get(const std::vector<int64_t>& indices) const override;

 private:
  std::vector<TaggedExample> examples_;
  int pad_;
};

struct PunctuationData {
  std::shared_ptr<engine::Dataset> train, val, test;
  std::vector<int64_t> markCounts;  // per mark, in the training split
};

// Every line (of a .txt) or JSON line's `textField` with at least three words is an example, in
// the split splitOfText gives it.
PunctuationData loadPunctuationData(const std::filesystem::path& file, const std::string& textField,
                                    const text::Tokenizer& tokenizer, int64_t maxLength);

}  // namespace reef::nlp

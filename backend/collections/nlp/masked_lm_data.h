#pragma once
// Unlabelled text for masked-language-model pretraining: the passages of one or more files (lines
// of a text file, or a JSON-lines file's text field), each shown as written or, for a share of
// them, lower-cased without punctuation as the punctuation model reads its input. Consecutive
// passages of a file are packed into examples of up to max_length pieces, in the split
// splitOfText gives each passage, so that held-out texts of the fine-tunes are never trained on.
#include "backend/collections/text/tokenizer.h"
#include "backend/engine/core/dataset.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace reef::nlp {

struct PackedExample {
  std::vector<int> tokens;
  std::vector<uint8_t> wordStart;  // 1 where a piece begins a word (its text starts with "▁")
};

// Batches: "tokens" [B, L] (padded with `pad`) and "word_start" [B, L] (bool).
class PackedTextDataset : public engine::Dataset {
 public:
  PackedTextDataset(std::vector<PackedExample> examples, int pad);
  int64_t size() const override { return static_cast<int64_t>(examples_.size()); }
  engine::Batch get(const std::vector<int64_t>& indices) const override;

 private:
  std::vector<PackedExample> examples_;
  int pad_;
};

struct MaskedLmCorpus {
  std::vector<std::filesystem::path> files;
  std::string textField;  // of JSON-lines files
  double plainFraction;   // share of passages lower-cased and stripped of punctuation
  int64_t maxLength;
};

struct MaskedLmData {
  std::shared_ptr<engine::Dataset> train, val, test;
};

MaskedLmData loadMaskedLmData(const MaskedLmCorpus& corpus, const text::Tokenizer& tokenizer);

// The passage as the punctuation model reads it: its words lower-cased, without marks.
std::string plainText(const std::string& text);

}  // namespace reef::nlp

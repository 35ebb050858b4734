#pragma once
// Labelled texts for classification: JSON lines ({"<text field>": ..., "<label field>": ...}) or
// TSV (text, a tab, the label), tokenized with the collection's SentencePiece tokenizer and split
// into train/val/test 80/10/10 by splitOfText: the split never changes between runs, and a
// pretraining run on the same file never saw a held-out text.
#include "backend/collections/text/tokenizer.h"
#include "backend/engine/core/dataset.h"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace reef::nlp {

struct TextExample {
  std::vector<int> tokens;  // cut to the maximum length
  int64_t label = 0;
};

// Batches: "tokens" [B, L] int64 padded with `pad` to the batch's longest example (L >= 1),
// "label" [B] int64.
class TextClassificationDataset : public engine::Dataset {
 public:
  TextClassificationDataset(std::vector<TextExample> examples, int pad);
  int64_t size() const override { return static_cast<int64_t>(examples_.size()); }
  engine::Batch get(const std::vector<int64_t>& indices) const override;

 private:
  std::vector<TextExample> examples_;
  int pad_;
};

struct TextClassificationFormat {
  std::string textField = "text", labelField = "label";
  std::vector<std::string> classes;  // empty: every label with at least minCount examples, sorted
  int64_t minCount = 100;
  int64_t maxLength = 128;
};

struct TextClassificationData {
  std::vector<std::string> classes;
  std::shared_ptr<engine::Dataset> train, val, test;
  std::vector<int64_t> trainCounts;  // examples per class in the training split
};

// Throws naming the file and line for malformed input, and a listed class with no examples.
TextClassificationData loadTextClassification(const std::filesystem::path& file, const TextClassificationFormat& format,
                                              const text::Tokenizer& tokenizer);

}  // namespace reef::nlp

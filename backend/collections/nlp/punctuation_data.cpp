#include "backend/collections/nlp/punctuation_data.h"

#include "backend/collections/nlp/nlp_files.h"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <stdexcept>

namespace reef::nlp {

const std::vector<std::string>& punctuationMarks() {
  static const std::vector<std::string> marks{"", ",", ".", "?"};
  return marks;
}

std::vector<Word> labelledWords(const std::string& text) {
  std::vector<Word> words;
  std::istringstream in(text);
  for (std::string raw; in >> raw;) {
    Word w;
    for (char c : raw) {
      const auto u = static_cast<unsigned char>(c);
      const auto mark = std::find(punctuationMarks().begin() + 1, punctuationMarks().end(), std::string(1, c));
      if (mark != punctuationMarks().end()) {
        if (!w.text.empty()) w.mark = static_cast<int>(mark - punctuationMarks().begin());
      } else if (std::isalnum(u) || c == '\'' || c == '-' || u >= 0x80) {
        if (w.text.empty()) w.capital = std::isupper(u) != 0;
        w.text += static_cast<char>(std::tolower(u));
        w.mark = 0;  // a mark inside a word ("e.g") is not one that follows it
      }
    }
    const bool hasLetters = std::any_of(w.text.begin(), w.text.end(), [](char c) {
      const auto u = static_cast<unsigned char>(c);
      return std::isalnum(u) || u >= 0x80;
    });
    if (!hasLetters) {
      // A lone mark ("--", " ; ") belongs to the word before it.
      for (char c : raw) {
        const auto mark = std::find(punctuationMarks().begin() + 1, punctuationMarks().end(), std::string(1, c));
        if (mark != punctuationMarks().end() && !words.empty())
          words.back().mark = static_cast<int>(mark - punctuationMarks().begin());
      }
      continue;
    }
    words.push_back(std::move(w));
  }
  return words;
}

TaggedExample tagWords(const std::vector<Word>& words, const text::Tokenizer& tokenizer, int64_t maxLength) {
  TaggedExample e;
  for (const Word& w : words) {
    const std::vector<int> pieces = tokenizer.encode(w.text);
    if (pieces.empty()) continue;
    if (static_cast<int64_t>(e.tokens.size() + pieces.size()) > maxLength) break;
    for (size_t i = 0; i < pieces.size(); ++i) {
      e.tokens.push_back(pieces[i]);
      e.capital.push_back(i == 0 ? static_cast<int>(w.capital) : -100);
      e.punctuation.push_back(i + 1 == pieces.size() ? w.mark : -100);
    }
  }
  return e;
}

TaggedTextDataset::TaggedTextDataset(std::vector<TaggedExample> examples, int pad)
    : examples_(std::move(examples)), pad_(pad) {}

engine::Batch TaggedTextDataset::get(const std::vector<int64_t>& indices) const {
  size_t longest = 1;
  for (int64_t i : indices) longest = std::max(longest, examples_.at(static_cast<size_t>(i)).tokens.size());
  const auto n = static_cast<int64_t>(indices.size());
  const auto l = static_cast<int64_t>(longest);
  torch::Tensor tokens = torch::full({n, l}, pad_, torch::kInt64);
  torch::Tensor punctuation = torch::full({n, l}, -100, torch::kInt64);
  torch::Tensor capital = torch::full({n, l}, -100, torch::kInt64);
  for (int64_t row = 0; row < n; ++row) {
    const TaggedExample& e = examples_[static_cast<size_t>(indices[static_cast<size_t>(row)])];
    for (size_t j = 0; j < e.tokens.size(); ++j) {
      tokens[row][static_cast<int64_t>(j)] = e.tokens[j];
      punctuation[row][static_cast<int64_t>(j)] = e.punctuation[j];
      capital[row][static_cast<int64_t>(j)] = e.capital[j];
    }
  }
  engine::Batch batch;
  batch.fields["tokens"] = tokens;
  batch.fields["punctuation"] = punctuation;
  batch.fields["capital"] = capital;
  batch.size = n;
  return batch;
}

PunctuationData loadPunctuationData(const std::filesystem::path& file, const std::string& textField,
                                    const text::Tokenizer& tokenizer, int64_t maxLength) {
  std::vector<TaggedExample> train, val, test;
  forEachPassage(
      file, textField,
      "run scripts/prepare-data.sh, or set data.dataset to a text file (one passage per line) or JSON lines",
      [&](const std::string& text) {
        const std::vector<Word> words = labelledWords(text);
        if (words.size() < 3) return;
        TaggedExample e = tagWords(words, tokenizer, maxLength);
        if (e.tokens.empty()) return;
        const engine::Split split = splitOfText(text);
        (split == engine::Split::Train ? train : split == engine::Split::Val ? val : test).push_back(std::move(e));
      });
  if (train.empty()) throw std::runtime_error("'" + file.string() + "' has no passage of three words or more");
  std::vector<int64_t> counts(punctuationMarks().size());
  for (const auto& e : train)
    for (int mark : e.punctuation)
      if (mark >= 0) ++counts[static_cast<size_t>(mark)];
  const int pad = padId(tokenizer);
  return {std::make_shared<TaggedTextDataset>(std::move(train), pad),
          std::make_shared<TaggedTextDataset>(std::move(val), pad),
          std::make_shared<TaggedTextDataset>(std::move(test), pad), counts};
}

}  // namespace reef::nlp

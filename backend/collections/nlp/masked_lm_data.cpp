#include "backend/collections/nlp/masked_lm_data.h"

#include <map>
#include <stdexcept>
#include "backend/collections/nlp/nlp_files.h"
#include "backend/collections/nlp/punctuation_data.h"

namespace fs = std::filesystem;

namespace reef::nlp {

namespace {

bool startsWord(const text::Tokenizer& tokenizer, int id) {
  const auto& piece = tokenizer.piece(id);
  return piece.type == text::Tokenizer::PieceType::Normal && piece.text.rfind("\xe2\x96\x81", 0) == 0;
}

// Where the passages of one split are packed: the example being filled, and the finished ones.
struct Packer {
  std::vector<PackedExample> done;
  PackedExample open;
  void add(const std::vector<int>& ids, const text::Tokenizer& tokenizer, size_t maxLength) {
    for (int id : ids) {
      if (open.tokens.size() == maxLength) flush();
      open.tokens.push_back(id);
      open.wordStart.push_back(startsWord(tokenizer, id) ? 1 : 0);
    }
  }
  void flush() {
    if (!open.tokens.empty()) done.push_back(std::move(open));
    open = {};
  }
};

// Whether a passage is shown plain: other bits of its hash than the split's.
bool shownPlain(const std::string& text, double fraction) {
  return static_cast<double>((textHash(text) >> 20) % 10000) < fraction * 10000.0;
}

void readFile(const fs::path& file, const MaskedLmCorpus& corpus, const text::Tokenizer& tokenizer,
              std::map<engine::Split, Packer>& packers) {
  forEachPassage(file, corpus.textField,
                 "run scripts/prepare-data.sh, or list in data.dataset text files (one passage a line) or JSON "
                 "lines, separated by commas",
                 [&](const std::string& text) {
                   if (text.find_first_not_of(" \t\r\n") == std::string::npos) return;
                   const std::vector<int> ids =
                       tokenizer.encode(shownPlain(text, corpus.plainFraction) ? plainText(text) : text);
                   packers[splitOfText(text)].add(ids, tokenizer, static_cast<size_t>(corpus.maxLength));
                 });
  for (auto& [split, packer] : packers) packer.flush();  // examples never span two files
}

}  // namespace

std::string plainText(const std::string& text) {
  std::string out;
  for (const Word& w : labelledWords(text)) out += (out.empty() ? "" : " ") + w.text;
  return out;
}

PackedTextDataset::PackedTextDataset(std::vector<PackedExample> examples, int pad)
    : examples_(std::move(examples)), pad_(pad) {}

engine::Batch PackedTextDataset::get(const std::vector<int64_t>& indices) const {
  size_t longest = 1;
  for (int64_t i : indices) longest = std::max(longest, examples_.at(static_cast<size_t>(i)).tokens.size());
  const auto n = static_cast<int64_t>(indices.size());
  const auto l = static_cast<int64_t>(longest);
  torch::Tensor tokens = torch::full({n, l}, pad_, torch::kInt64);
  torch::Tensor starts = torch::zeros({n, l}, torch::kBool);
  int64_t* t = tokens.data_ptr<int64_t>();
  bool* s = starts.data_ptr<bool>();
  engine::Batch batch;
  for (int64_t row = 0; row < n; ++row) {
    const PackedExample& e = examples_[static_cast<size_t>(indices[static_cast<size_t>(row)])];
    for (size_t j = 0; j < e.tokens.size(); ++j) {
      t[row * l + static_cast<int64_t>(j)] = e.tokens[j];
      s[row * l + static_cast<int64_t>(j)] = e.wordStart[j] != 0;
    }
    batch.tokens += static_cast<int64_t>(e.tokens.size());
  }
  batch.fields["tokens"] = tokens;
  batch.fields["word_start"] = starts;
  batch.size = n;
  return batch;
}

MaskedLmData loadMaskedLmData(const MaskedLmCorpus& corpus, const text::Tokenizer& tokenizer) {
  MaskedLmData out;
  std::map<engine::Split, Packer> packers;
  for (const fs::path& file : corpus.files) readFile(file, corpus, tokenizer, packers);
  if (packers[engine::Split::Train].done.empty() || packers[engine::Split::Val].done.empty())
    throw std::runtime_error(
        "data.dataset has too little text to pretrain on: it needs passages for training and "
        "validation (a tenth of them are held out)");
  const int pad = padId(tokenizer);
  out.train = std::make_shared<PackedTextDataset>(std::move(packers[engine::Split::Train].done), pad);
  out.val = std::make_shared<PackedTextDataset>(std::move(packers[engine::Split::Val].done), pad);
  out.test = std::make_shared<PackedTextDataset>(std::move(packers[engine::Split::Test].done), pad);
  return out;
}

}  // namespace reef::nlp

#include "backend/collections/nlp/text_classification_data.h"

#include "backend/collections/nlp/nlp_files.h"
#include "backend/protocol/json.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::nlp {

TextClassificationDataset::TextClassificationDataset(std::vector<TextExample> examples, int pad)
    : examples_(std::move(examples)), pad_(pad) {}

engine::Batch TextClassificationDataset::get(const std::vector<int64_t>& indices) const {
  size_t longest = 1;
  for (int64_t i : indices) longest = std::max(longest, examples_.at(static_cast<size_t>(i)).tokens.size());
  const auto n = static_cast<int64_t>(indices.size());
  torch::Tensor tokens = torch::full({n, static_cast<int64_t>(longest)}, pad_, torch::kInt64);
  torch::Tensor labels = torch::empty({n}, torch::kInt64);
  int64_t* t = tokens.data_ptr<int64_t>();
  for (int64_t row = 0; row < n; ++row) {
    const TextExample& e = examples_[static_cast<size_t>(indices[static_cast<size_t>(row)])];
    std::copy(e.tokens.begin(), e.tokens.end(), t + row * static_cast<int64_t>(longest));
    labels[row] = e.label;
  }
  engine::Batch batch;
  batch.fields["tokens"] = tokens;
  batch.fields["label"] = labels;
  batch.size = n;
  return batch;
}

TextClassificationData loadTextClassification(const fs::path& file, const TextClassificationFormat& format,
                                              const text::Tokenizer& tokenizer) {
  std::ifstream in(file);
  if (!in)
    throw std::runtime_error("cannot read '" + file.string() +
                             "': run scripts/prepare-data.sh, or set data.dataset to " +
                             "a JSON-lines or TSV file (absolute, or relative to the data root)");
  const bool tsv = file.extension() == ".tsv";
  std::vector<std::pair<std::string, std::string>> rows;  // text, label
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    const std::string where = file.string() + ":" + std::to_string(number);
    if (tsv) {
      const auto tab = line.rfind('\t');
      if (tab == std::string::npos) throw std::runtime_error(where + ": expected 'text<TAB>label'");
      rows.emplace_back(line.substr(0, tab), line.substr(tab + 1));
      continue;
    }
    const Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw std::runtime_error(where + ": not a JSON object");
    if (!j.contains(format.textField) || !j[format.textField].is_string() || !j.contains(format.labelField) ||
        !j[format.labelField].is_string())
      throw std::runtime_error(where + ": needs string fields '" + format.textField + "' and '" + format.labelField +
                               "' (data.text_field, data.label_field)");
    rows.emplace_back(j[format.textField].get<std::string>(), j[format.labelField].get<std::string>());
  }
  TextClassificationData out;
  out.classes = format.classes;
  if (out.classes.empty()) {
    std::map<std::string, int64_t> counts;
    for (const auto& r : rows) ++counts[r.second];
    for (const auto& [label, count] : counts)
      if (count >= format.minCount) out.classes.push_back(label);
    if (out.classes.size() < 2)
      throw std::runtime_error("'" + file.string() + "' has fewer than two labels with " +
                               std::to_string(format.minCount) +
                               " examples: lower data.min_count or list data.classes");
  }
  std::map<std::string, int64_t> index;
  for (size_t i = 0; i < out.classes.size(); ++i) index[out.classes[i]] = static_cast<int64_t>(i);
  std::vector<TextExample> train, val, test;
  std::vector<int64_t> perClass(out.classes.size());
  out.trainCounts.assign(out.classes.size(), 0);
  for (const auto& [text, label] : rows) {
    auto it = index.find(label);
    if (it == index.end()) continue;  // a class not chosen
    const auto c = static_cast<size_t>(it->second);
    ++perClass[c];
    const engine::Split split = splitOfText(text);
    (split == engine::Split::Train ? train
     : split == engine::Split::Val ? val
                                   : test)
        .push_back({encoderTokens(tokenizer, text, format.maxLength), it->second});
    if (split == engine::Split::Train) ++out.trainCounts[c];
  }
  for (size_t c = 0; c < perClass.size(); ++c)
    if (perClass[c] < 10)
      throw std::runtime_error("class '" + out.classes[c] + "' has " + std::to_string(perClass[c]) + " examples in '" +
                               file.string() + "'; each class needs at least 10 (check data.classes)");
  const int pad = padId(tokenizer);
  out.train = std::make_shared<TextClassificationDataset>(std::move(train), pad);
  out.val = std::make_shared<TextClassificationDataset>(std::move(val), pad);
  out.test = std::make_shared<TextClassificationDataset>(std::move(test), pad);
  return out;
}

}  // namespace reef::nlp

#include "backend/collections/nlp/nlp_files.h"

#include "backend/protocol/json.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::nlp {

fs::path underDataRoot(const fs::path& root, const std::string& path) {
  const fs::path p(path);
  return p.is_absolute() ? p : root / p;
}

text::Tokenizer loadTokenizer(const fs::path& path) {
  if (!fs::exists(path))
    throw std::runtime_error("no tokenizer at '" + path.string() +
                             "': run scripts/prepare-data.sh, or train one with " +
                             "`reef tokenizer train --input TEXTS --out " + path.string() + "` (data.tokenizer)");
  return text::Tokenizer::load(path);
}

std::vector<int> encoderTokens(const text::Tokenizer& tokenizer, const std::string& text, int64_t maxLength) {
  std::vector<int> ids = tokenizer.encode(text);
  if (static_cast<int64_t>(ids.size()) > maxLength) ids.resize(static_cast<size_t>(maxLength));
  if (ids.empty()) ids.push_back(tokenizer.unk());
  return ids;
}

int padId(const text::Tokenizer& tokenizer) { return tokenizer.pad() >= 0 ? tokenizer.pad() : tokenizer.unk(); }

std::vector<std::string> commaList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, ',');) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

uint64_t textHash(const std::string& text) {
  uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

engine::Split splitOfText(const std::string& text) {
  const uint64_t bucket = textHash(text) % 20;
  return bucket < 2 ? engine::Split::Test : bucket < 4 ? engine::Split::Val : engine::Split::Train;
}

void forEachPassage(const std::filesystem::path& file, const std::string& textField, const std::string& howToFix,
                    const std::function<void(const std::string&)>& each) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read '" + file.string() + "': " + howToFix);
  const bool jsonl = file.extension() == ".jsonl";
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    if (!jsonl) {
      each(line);
      continue;
    }
    const Json j = Json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains(textField) || !j[textField].is_string())
      throw std::runtime_error(file.string() + ":" + std::to_string(number) + ": needs a string field '" + textField +
                               "' (data.text_field)");
    each(j[textField].get<std::string>());
  }
}

}  // namespace reef::nlp

#include "backend/collections/text/token_shards.h"

#include "backend/collections/text/tokenizer.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::text {

namespace {

std::vector<std::string> documentsOf(const fs::path& input, const std::string& field) {
  std::ifstream in(input);
  if (!in) throw std::runtime_error("cannot read corpus file '" + input.string() + "'");
  std::vector<std::string> docs;
  std::string line;
  if (input.extension() == ".jsonl") {
    int64_t number = 0;
    while (std::getline(in, line)) {
      ++number;
      if (line.empty()) continue;
      const Json j = Json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains(field) || !j[field].is_string())
        throw std::runtime_error("'" + input.string() + "' line " + std::to_string(number) + " has no string field '" +
                                 field + "'");
      docs.push_back(j[field].get<std::string>());
    }
    return docs;
  }
  std::string doc;
  while (std::getline(in, line)) {
    if (line.empty()) {
      if (!doc.empty()) docs.push_back(doc);
      doc.clear();
    } else {
      doc += (doc.empty() ? "" : "\n") + line;
    }
  }
  if (!doc.empty()) docs.push_back(doc);
  return docs;
}

uint64_t mix(uint64_t z) {
  z += 0x9e3779b97f4a7c15ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

template <typename T>
void writeTokens(const fs::path& path, const std::vector<int>& tokens) {
  std::vector<T> narrow(tokens.begin(), tokens.end());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(narrow.data()), static_cast<std::streamsize>(narrow.size() * sizeof(T)));
  if (!out) throw std::runtime_error("cannot write '" + path.string() + "' (is the disk full?)");
}

}  // namespace

Json prepareText(const TextPreparation& p) {
  const Tokenizer tokenizer = Tokenizer::load(p.tokenizer);
  fs::create_directories(p.output);
  if (fs::absolute(p.tokenizer) != fs::absolute(p.output / "tokenizer.model"))
    fs::copy_file(p.tokenizer, p.output / "tokenizer.model", fs::copy_options::overwrite_existing);

  std::vector<int> tokens[2];
  std::vector<uint64_t> starts[2];
  int64_t bytes[2] = {0, 0}, documents[2] = {0, 0};
  std::ofstream heldOut(p.output / "val.txt", std::ios::binary | std::ios::trunc);
  uint64_t index = 0;
  Json sources = Json::array();
  for (const auto& input : p.inputs) {
    sources.push_back(input.filename().string());
    for (const std::string& doc : documentsOf(input, p.jsonField)) {
      const int split = static_cast<double>(mix(index++) % 1000000) < p.valFraction * 1e6 ? 1 : 0;
      starts[split].push_back(tokens[split].size());
      const std::vector<int> ids = tokenizer.encode(doc);
      tokens[split].insert(tokens[split].end(), ids.begin(), ids.end());
      tokens[split].push_back(tokenizer.eos());              // the document boundary
      bytes[split] += static_cast<int64_t>(doc.size()) + 1;  // the boundary stands for a newline
      ++documents[split];
      if (split == 1) heldOut << doc << "\n";
    }
  }
  heldOut.flush();
  if (!heldOut) throw std::runtime_error("cannot write '" + (p.output / "val.txt").string() + "'");
  if (tokens[0].empty() || tokens[1].empty())
    throw std::runtime_error("the corpus gave an empty " + std::string(tokens[0].empty() ? "training" : "validation") +
                             " split: give more documents or another --val-fraction");
  const bool wide = tokenizer.vocabSize() > 65535;
  const char* names[2] = {"train", "val"};
  for (int s = 0; s < 2; ++s) {
    if (wide)
      writeTokens<uint32_t>(p.output / (std::string(names[s]) + ".bin"), tokens[s]);
    else
      writeTokens<uint16_t>(p.output / (std::string(names[s]) + ".bin"), tokens[s]);
    std::ofstream idx(p.output / (std::string(names[s]) + ".idx"), std::ios::binary | std::ios::trunc);
    idx.write(reinterpret_cast<const char*>(starts[s].data()), static_cast<std::streamsize>(starts[s].size() * 8));
  }
  Json meta = {{"format", "reef-tokens"},
               {"version", 1},
               {"tokenizer", "tokenizer.model"},
               {"vocab_size", tokenizer.vocabSize()},
               {"dtype", wide ? "u32" : "u16"},
               {"eos", tokenizer.eos()},
               {"sources", sources},
               {"val_fraction", p.valFraction},
               {"train_tokens", tokens[0].size()},
               {"val_tokens", tokens[1].size()},
               {"train_bytes", bytes[0]},
               {"val_bytes", bytes[1]},
               {"train_documents", documents[0]},
               {"val_documents", documents[1]}};
  std::ofstream(p.output / "meta.json") << meta.dump(2) << "\n";
  return meta;
}

TokenShard TokenShard::open(const fs::path& folder, const std::string& split) {
  TokenShard shard;
  std::ifstream metaFile(folder / "meta.json");
  shard.meta_ = Json::parse(metaFile, nullptr, false);
  if (shard.meta_.is_discarded() || shard.meta_.value("format", "") != "reef-tokens")
    throw std::runtime_error("'" + (folder / "meta.json").string() +
                             "' is missing or not token shards: prepare them with `reef data prepare-text` "
                             "(scripts/prepare-data.sh does it for the examples)");
  shard.width_ = shard.meta_.value("dtype", "u16") == "u32" ? 4 : 2;
  const fs::path bin = folder / (split + ".bin");
  const int fd = ::open(bin.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open '" + bin.string() + "'");
  struct stat st {};
  ::fstat(fd, &st);
  shard.bytes_ = static_cast<size_t>(st.st_size);
  shard.count_ = static_cast<int64_t>(shard.bytes_ / static_cast<size_t>(shard.width_));
  const int64_t expected = shard.meta_.value(split + "_tokens", int64_t(-1));
  if (expected != shard.count_) {
    ::close(fd);
    throw std::runtime_error("'" + bin.string() + "' holds " + std::to_string(shard.count_) +
                             " tokens but meta.json says " + std::to_string(expected) + ": prepare the shards again");
  }
  shard.data_ = shard.bytes_ ? ::mmap(nullptr, shard.bytes_, PROT_READ, MAP_SHARED, fd, 0) : nullptr;
  ::close(fd);
  if (shard.data_ == MAP_FAILED) throw std::runtime_error("cannot map '" + bin.string() + "'");
  return shard;
}

TokenShard::TokenShard(TokenShard&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)),
      count_(other.count_),
      width_(other.width_),
      meta_(std::move(other.meta_)) {}

TokenShard::~TokenShard() {
  if (data_) ::munmap(const_cast<void*>(data_), bytes_);
}

int64_t TokenShard::token(int64_t i) const {
  if (width_ == 2) return static_cast<const uint16_t*>(data_)[i];
  return static_cast<const uint32_t*>(data_)[i];
}

void TokenShard::read(int64_t begin, int64_t n, int64_t* out) const {
  if (begin < 0 || begin + n > count_) throw std::out_of_range("token range outside the shard");
  for (int64_t i = 0; i < n; ++i) out[i] = token(begin + i);
}

}  // namespace reef::text

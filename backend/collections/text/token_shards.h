#pragma once
// Token shards: a corpus tokenized once into train.bin / val.bin (raw little-endian uint16 or
// uint32 tokens, an end-of-document token after each document), their document offsets
// (*.idx), the held-out text itself (val.txt, for compressors to be compared against) and
// meta.json. The split is by document and deterministic. Read back memory-mapped.
#include "backend/protocol/json.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace reef::text {

class Tokenizer;

struct TextPreparation {
  std::vector<std::filesystem::path> inputs;  // text (documents separated by blank lines) or .jsonl
  std::string jsonField = "text";             // the field holding a document in JSON-lines input
  std::filesystem::path tokenizer;
  std::filesystem::path output;  // folder
  double valFraction = 0.05;
};

// Returns meta.json's content.
Json prepareText(const TextPreparation& preparation);

// One split's tokens, memory-mapped.
class TokenShard {
 public:
  static TokenShard open(const std::filesystem::path& folder, const std::string& split);
  TokenShard(TokenShard&& other) noexcept;
  TokenShard& operator=(TokenShard&&) = delete;
  TokenShard(const TokenShard&) = delete;
  TokenShard& operator=(const TokenShard&) = delete;
  ~TokenShard();

  int64_t size() const { return count_; }
  int64_t token(int64_t i) const;
  // Copies tokens [begin, begin + n) into `out` as int64.
  void read(int64_t begin, int64_t n, int64_t* out) const;
  const Json& meta() const { return meta_; }

 private:
  TokenShard() = default;
  const void* data_ = nullptr;
  size_t bytes_ = 0;
  int64_t count_ = 0;
  int width_ = 2;
  Json meta_;
};

}  // namespace reef::text

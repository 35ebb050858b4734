#pragma once
// The LLM collection's tokenizer: SentencePiece BPE models (tokenizer.model, trained by
// `reef tokenizer train` with byte fallback and identity normalisation, so that any text
// round-trips exactly), read and applied by Reef's own code. Debian's libsentencepiece cannot
// live in the engine's process (its bundled protobuf clashes with LibTorch's at load time), so it
// only trains, in the torch-free reef-spm helper; tests hold both encoders equal.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace reef::text {

class Tokenizer {
 public:
  enum class PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };
  struct Piece {
    std::string text;
    float score;
    PieceType type;
  };

  // Throws with the path and the reason when the file is missing, corrupt or uses a feature this
  // reader does not implement (unigram models, NFKC normalisation).
  static Tokenizer load(const std::filesystem::path& model);

  std::vector<int> encode(const std::string& text) const;
  std::string decode(const std::vector<int>& ids) const;
  // The text of one token as it appears in a stream (bytes of a byte piece, spaces for "▁").
  std::string tokenText(int id) const;

  int vocabSize() const { return static_cast<int>(pieces_.size()); }
  const Piece& piece(int id) const { return pieces_.at(static_cast<size_t>(id)); }
  int unk() const { return unk_; }
  int bos() const { return bos_; }
  int eos() const { return eos_; }
  int pad() const { return pad_; }
  bool addsDummyPrefix() const { return addDummyPrefix_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::vector<Piece> pieces_;
  std::unordered_map<std::string, int> merges_;  // normal and user-defined pieces
  int byteIds_[256] = {};
  int unk_ = 0, bos_ = 1, eos_ = 2, pad_ = -1;
  bool addDummyPrefix_ = true, escapeWhitespace_ = true, byteFallback_ = false;
  std::filesystem::path path_;
};

struct TokenizerTraining {
  std::vector<std::filesystem::path> inputs;  // text, one sentence per line
  int vocabSize = 4096;
  std::filesystem::path output;  // <...>/tokenizer.model
  int64_t maxSentences = 2000000;
};

// SentencePiece's options for a Reef tokenizer (its flag names without "--"): BPE, byte fallback,
// identity normalisation, whitespace kept, ids unk 0 / bos 1 / eos 2 / pad 3. Throws for an input
// path with a comma, which SentencePiece would read as two files.
std::map<std::string, std::string> sentencePieceTrainingOptions(const TokenizerTraining& training);

}  // namespace reef::text

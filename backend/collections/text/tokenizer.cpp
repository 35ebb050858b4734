#include "backend/collections/text/tokenizer.h"

#include <array>
#include <cctype>
#include <cstring>
#include <fstream>
#include <queue>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::text {

namespace {

const std::string kSpace = "\xe2\x96\x81";  // U+2581, SentencePiece's visible space

// A minimal protobuf wire-format reader: enough for sentencepiece_model.proto.
class Wire {
 public:
  Wire(const char* data, size_t size) : p_(reinterpret_cast<const uint8_t*>(data)), end_(p_ + size) {}
  bool done() const { return p_ >= end_; }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) throw std::runtime_error("truncated varint");
      const uint8_t b = *p_++;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    throw std::runtime_error("overlong varint");
  }
  std::string bytes() {
    const uint64_t n = varint();
    if (n > static_cast<uint64_t>(end_ - p_)) throw std::runtime_error("truncated field");
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }
  float fixed32() {
    if (end_ - p_ < 4) throw std::runtime_error("truncated float");
    float f;
    std::memcpy(&f, p_, 4);
    p_ += 4;
    return f;
  }
  void skip(int wireType) {
    switch (wireType) {
      case 0:
        varint();
        break;
      case 1:
        p_ += 8;
        break;
      case 2:
        bytes();
        break;
      case 5:
        p_ += 4;
        break;
      default:
        throw std::runtime_error("unsupported wire type " + std::to_string(wireType));
    }
    if (p_ > end_) throw std::runtime_error("truncated field");
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// The length of the character starting at text[at]: its lead byte's count when the continuation
// bytes follow, else 1. A broken sequence must not swallow the next character (the "▁" of a
// space), or the text would not come back from its pieces.
size_t utf8Length(const std::string& text, size_t at) {
  const auto c = static_cast<unsigned char>(text[at]);
  // A stray byte stands alone (and falls back to its byte piece).
  const size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 1;
  if (at + n > text.size()) return 1;
  for (size_t i = 1; i < n; ++i)
    if ((static_cast<unsigned char>(text[at + i]) & 0xc0) != 0x80) return 1;
  return n;
}

// A byte piece's byte: its text is "<0xAB>". std::stoi would take "-C" or " 1" as well.
int byteOfPiece(const std::string& text, const fs::path& model) {
  auto hex = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c | 0x20) - 'a' + 10; };
  auto isHex = [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; };
  if (text.size() != 6 || text.compare(0, 3, "<0x") != 0 || text[5] != '>' || !isHex(text[3]) || !isHex(text[4]))
    throw std::runtime_error("'" + model.string() + "' has a byte piece '" + text +
                             "' that is not <0xHH>: it is not a SentencePiece model");
  return hex(text[3]) * 16 + hex(text[4]);
}

// What this reader implements (BPE, no normalisation) and special ids that name pieces. SentencePiece
// turns bos, eos and pad off with -1; unk it needs.
void checkReadable(const fs::path& model, size_t pieces, int modelType, const std::string& normalizer,
                   const std::array<int, 4>& specialIds) {
  if (pieces == 0)
    throw std::runtime_error("'" + model.string() + "' holds no pieces: it is not a SentencePiece model");
  if (modelType != 2)
    throw std::runtime_error("'" + model.string() +
                             "' is not a BPE model: Reef's tokenizer reads the BPE models that "
                             "`reef tokenizer train` writes");
  if (normalizer != "identity")
    throw std::runtime_error("'" + model.string() + "' normalises text with '" + normalizer +
                             "', which Reef's tokenizer does not implement: train with `reef tokenizer train`");
  static const char* names[] = {"unk", "bos", "eos", "pad"};
  for (size_t i = 0; i < specialIds.size(); ++i)
    if (specialIds[i] >= static_cast<int64_t>(pieces) || specialIds[i] < (i == 0 ? 0 : -1))
      throw std::runtime_error("'" + model.string() + "' names " + names[i] + " id " + std::to_string(specialIds[i]) +
                               " of " + std::to_string(pieces) + " pieces: it is not a valid SentencePiece model");
}

}  // namespace

Tokenizer Tokenizer::load(const fs::path& model) {
  std::ifstream in(model, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read tokenizer '" + model.string() + "' (train one with `reef tokenizer train`)");
  std::stringstream content;
  content << in.rdbuf();
  const std::string data = content.str();
  Tokenizer t;
  t.path_ = model;
  int modelType = 1, unk = 0, bos = 1, eos = 2, pad = -1;
  bool byteFallback = false;
  std::string normalizer = "nmt_nfkc";
  try {
    Wire top(data.data(), data.size());
    while (!top.done()) {
      const uint64_t key = top.varint();
      const int field = static_cast<int>(key >> 3), wire = static_cast<int>(key & 7);
      if (field == 1 && wire == 2) {  // SentencePiece
        const std::string msg = top.bytes();
        Wire w(msg.data(), msg.size());
        Piece piece{"", 0.0f, PieceType::Normal};
        while (!w.done()) {
          const uint64_t k = w.varint();
          const int f = static_cast<int>(k >> 3), wt = static_cast<int>(k & 7);
          if (f == 1 && wt == 2)
            piece.text = w.bytes();
          else if (f == 2 && wt == 5)
            piece.score = w.fixed32();
          else if (f == 3 && wt == 0)
            piece.type = static_cast<PieceType>(w.varint());
          else
            w.skip(wt);
        }
        t.pieces_.push_back(std::move(piece));
      } else if (field == 2 && wire == 2) {  // TrainerSpec
        const std::string msg = top.bytes();
        Wire w(msg.data(), msg.size());
        while (!w.done()) {
          const uint64_t k = w.varint();
          const int f = static_cast<int>(k >> 3), wt = static_cast<int>(k & 7);
          if (wt != 0) {
            w.skip(wt);
            continue;
          }
          const auto v = static_cast<int64_t>(w.varint());
          if (f == 3) modelType = static_cast<int>(v);
          if (f == 35) byteFallback = v != 0;
          if (f == 40) unk = static_cast<int>(v);
          if (f == 41) bos = static_cast<int>(static_cast<int32_t>(v));
          if (f == 42) eos = static_cast<int>(static_cast<int32_t>(v));
          if (f == 43) pad = static_cast<int>(static_cast<int32_t>(v));
        }
      } else if (field == 3 && wire == 2) {  // NormalizerSpec
        const std::string msg = top.bytes();
        Wire w(msg.data(), msg.size());
        while (!w.done()) {
          const uint64_t k = w.varint();
          const int f = static_cast<int>(k >> 3), wt = static_cast<int>(k & 7);
          if (f == 1 && wt == 2)
            normalizer = w.bytes();
          else if (f == 3 && wt == 0)
            t.addDummyPrefix_ = w.varint() != 0;
          else if (f == 5 && wt == 0)
            t.escapeWhitespace_ = w.varint() != 0;
          else
            w.skip(wt);
        }
      } else {
        top.skip(wire);
      }
    }
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("'" + model.string() + "' is not a SentencePiece model: " + e.what());
  }
  checkReadable(model, t.pieces_.size(), modelType, normalizer, {unk, bos, eos, pad});
  t.unk_ = unk;
  t.bos_ = bos;
  t.eos_ = eos;
  t.pad_ = pad;
  t.byteFallback_ = byteFallback;
  std::fill(std::begin(t.byteIds_), std::end(t.byteIds_), -1);
  for (size_t id = 0; id < t.pieces_.size(); ++id) {
    const Piece& p = t.pieces_[id];
    if (p.type == PieceType::Normal || p.type == PieceType::UserDefined)
      t.merges_.emplace(p.text, static_cast<int>(id));
    if (p.type == PieceType::Byte) t.byteIds_[byteOfPiece(p.text, model)] = static_cast<int>(id);
  }
  return t;
}

std::vector<int> Tokenizer::encode(const std::string& text) const {
  std::vector<int> ids;
  if (text.empty()) return ids;
  std::string normalized = addDummyPrefix_ ? kSpace : std::string();
  for (char c : text) normalized += (escapeWhitespace_ && c == ' ') ? kSpace : std::string(1, c);

  // Symbols are the characters, linked in a list; merges happen best score first, leftmost first.
  struct Symbol {
    int prev, next;
    size_t begin, size;
  };
  std::vector<Symbol> symbols;
  for (size_t i = 0; i < normalized.size();) {
    const size_t n = utf8Length(normalized, i);
    symbols.push_back({static_cast<int>(symbols.size()) - 1, static_cast<int>(symbols.size()) + 1, i, n});
    i += n;
  }
  symbols.back().next = -1;
  struct Pair {
    int left, right;
    float score;
    size_t size;
  };
  auto worse = [](const Pair& a, const Pair& b) {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  };
  std::priority_queue<Pair, std::vector<Pair>, decltype(worse)> agenda(worse);
  auto consider = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const size_t size = symbols[static_cast<size_t>(left)].size + symbols[static_cast<size_t>(right)].size;
    auto it = merges_.find(normalized.substr(symbols[static_cast<size_t>(left)].begin, size));
    if (it == merges_.end()) return;
    agenda.push({left, right, pieces_[static_cast<size_t>(it->second)].score, size});
  };
  for (size_t i = 1; i < symbols.size(); ++i) consider(static_cast<int>(i) - 1, static_cast<int>(i));
  while (!agenda.empty()) {
    const Pair top = agenda.top();
    agenda.pop();
    Symbol& l = symbols[static_cast<size_t>(top.left)];
    Symbol& r = symbols[static_cast<size_t>(top.right)];
    if (l.size == 0 || r.size == 0 || l.size + r.size != top.size || l.next != top.right) continue;  // stale
    l.size += r.size;
    l.next = r.next;
    if (r.next >= 0) symbols[static_cast<size_t>(r.next)].prev = top.left;
    r.size = 0;
    consider(l.prev, top.left);
    consider(top.left, l.next);
  }
  for (int i = 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
    const Symbol& s = symbols[static_cast<size_t>(i)];
    const std::string piece = normalized.substr(s.begin, s.size);
    auto it = merges_.find(piece);
    if (it != merges_.end()) {
      ids.push_back(it->second);
    } else if (byteFallback_) {
      for (unsigned char b : piece) ids.push_back(byteIds_[b] >= 0 ? byteIds_[b] : unk_);
    } else {
      ids.push_back(unk_);
    }
  }
  return ids;
}

std::string Tokenizer::tokenText(int id) const {
  if (id < 0 || id >= vocabSize()) return "";
  const Piece& p = pieces_[static_cast<size_t>(id)];
  switch (p.type) {
    case PieceType::Byte:
      return std::string(1, static_cast<char>(std::stoi(p.text.substr(3, 2), nullptr, 16)));
    case PieceType::Control:
      return "";
    case PieceType::Unknown:
      return " \xe2\x81\x87 ";
    default:
      break;
  }
  std::string out;
  for (size_t i = 0; i < p.text.size();) {
    if (p.text.compare(i, kSpace.size(), kSpace) == 0) {
      out += ' ';
      i += kSpace.size();
    } else {
      out += p.text[i++];
    }
  }
  return out;
}

std::string Tokenizer::decode(const std::vector<int>& ids) const {
  std::string out;
  for (int id : ids) out += tokenText(id);
  if (addDummyPrefix_ && !out.empty() && out[0] == ' ') out.erase(0, 1);
  return out;
}

std::map<std::string, std::string> sentencePieceTrainingOptions(const TokenizerTraining& training) {
  std::string inputs;
  for (const auto& in : training.inputs) {
    if (in.string().find(',') != std::string::npos)
      throw std::runtime_error("tokenizer training input '" + in.string() +
                               "' has a comma, which SentencePiece reads as a list of files: rename it");
    inputs += (inputs.empty() ? "" : ",") + in.string();
  }
  fs::path prefix = training.output;
  if (prefix.extension() == ".model") prefix.replace_extension();
  return {{"input", inputs},
          {"model_prefix", prefix.string()},
          {"vocab_size", std::to_string(training.vocabSize)},
          {"model_type", "bpe"},
          {"byte_fallback", "true"},
          {"character_coverage", "1.0"},
          {"normalization_rule_name", "identity"},
          {"remove_extra_whitespaces", "false"},
          {"add_dummy_prefix", "true"},
          {"split_digits", "true"},
          {"unk_id", "0"},
          {"bos_id", "1"},
          {"eos_id", "2"},
          {"pad_id", "3"},
          {"input_sentence_size", std::to_string(training.maxSentences)},
          {"shuffle_input_sentence", "true"},
          {"minloglevel", "2"},
          {"num_threads", "2"}};
}

}  // namespace reef::text

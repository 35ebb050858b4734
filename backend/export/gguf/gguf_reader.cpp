#include "backend/export/gguf/gguf_reader.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::exporting {

namespace {

constexpr uint32_t kMaxDims = 4;          // GGML_MAX_DIMS
constexpr int kMaxArrayDepth = 8;         // GGUF allows arrays of arrays; nobody needs more
constexpr uint64_t kMaxDim = 1ull << 40;  // so that a product of four cannot overflow unchecked

// Reads little-endian values from a file of known size; every read is checked against the size
// first, so that a count in the file never makes Reef allocate or read past what is there.
class Cursor {
 public:
  Cursor(const fs::path& file) : file_(file), in_(file, std::ios::binary) {
    if (!in_) throw std::runtime_error("cannot read '" + file.string() + "'");
    in_.seekg(0, std::ios::end);
    size_ = static_cast<uint64_t>(in_.tellg());
    in_.seekg(0);
  }
  template <typename T>
  T get() {
    need(sizeof(T));
    T value;
    in_.read(reinterpret_cast<char*>(&value), sizeof(T));
    pos_ += sizeof(T);
    return value;
  }
  std::string string() {
    const uint64_t n = get<uint64_t>();
    need(n);
    std::string s(static_cast<size_t>(n), '\0');
    in_.read(s.data(), static_cast<std::streamsize>(n));
    pos_ += n;
    return s;
  }
  void need(uint64_t n) {
    if (n > remaining())
      fail("the file ends: " + std::to_string(n) + " bytes needed, " + std::to_string(remaining()) + " left");
  }
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error("'" + file_.string() + "' is not a valid GGUF file: " + what + " (at byte " +
                             std::to_string(pos_) + ")");
  }
  uint64_t remaining() const { return size_ - pos_; }
  uint64_t pos() const { return pos_; }
  uint64_t size() const { return size_; }

 private:
  fs::path file_;
  std::ifstream in_;
  uint64_t size_ = 0, pos_ = 0;
};

Json readValue(Cursor& c, uint32_t type, int depth) {
  switch (type) {
    case 0:
      return c.get<uint8_t>();
    case 1:
      return c.get<int8_t>();
    case 2:
      return c.get<uint16_t>();
    case 3:
      return c.get<int16_t>();
    case 4:
      return c.get<uint32_t>();
    case 5:
      return c.get<int32_t>();
    case 6:
      return c.get<float>();
    case 7: {
      const uint8_t b = c.get<uint8_t>();
      if (b > 1) c.fail("a bool of value " + std::to_string(b));
      return b == 1;
    }
    case 8:
      return c.string();
    case 9: {
      if (depth >= kMaxArrayDepth) c.fail("arrays nested deeper than " + std::to_string(kMaxArrayDepth));
      const uint32_t elementType = c.get<uint32_t>();
      const uint64_t n = c.get<uint64_t>();
      if (n > c.remaining())
        c.fail("an array of " + std::to_string(n) + " values in a shorter file");  // each >= 1 byte
      Json a = Json::array();
      for (uint64_t i = 0; i < n; ++i) a.push_back(readValue(c, elementType, depth + 1));
      return a;
    }
    case 10:
      return c.get<uint64_t>();
    case 11:
      return c.get<int64_t>();
    case 12:
      return c.get<double>();
  }
  c.fail("metadata value type " + std::to_string(type) + " is not a GGUF type");
}

uint64_t tensorBytes(const GgufTensorInfo& t) {
  const auto count = static_cast<uint64_t>(t.count());
  switch (t.type) {
    case GgmlType::F32:
      return count * 4;
    case GgmlType::F16:
      return count * 2;
    case GgmlType::Q8_0:
      return count / 32 * 34;
  }
  return 0;
}

GgufTensorInfo readTensorInfo(Cursor& c) {
  GgufTensorInfo t;
  t.name = c.string();
  const uint32_t dims = c.get<uint32_t>();
  if (dims < 1 || dims > kMaxDims) c.fail("tensor '" + t.name + "' has " + std::to_string(dims) + " dimensions");
  uint64_t count = 1;
  for (uint32_t i = 0; i < dims; ++i) {
    const uint64_t d = c.get<uint64_t>();
    if (d < 1 || d > kMaxDim || count > (1ull << 62) / d)
      c.fail("tensor '" + t.name + "' has a dimension of " + std::to_string(d));
    count *= d;
    t.shape.insert(t.shape.begin(), static_cast<int64_t>(d));  // ne[0] is the innermost
  }
  const uint32_t type = c.get<uint32_t>();
  if (type != 0 && type != 1 && type != 8)
    c.fail("tensor '" + t.name + "' has ggml type " + std::to_string(type) + "; Reef reads f32, f16 and q8_0");
  t.type = static_cast<GgmlType>(type);
  if (t.type == GgmlType::Q8_0 && t.shape.back() % 32 != 0)
    c.fail("q8_0 tensor '" + t.name + "' has rows of " + std::to_string(t.shape.back()) + " values");
  t.offset = c.get<uint64_t>();
  t.bytes = tensorBytes(t);
  return t;
}

uint64_t alignmentOf(const Json& metadata, Cursor& c) {
  if (!metadata.contains("general.alignment")) return 32;
  const Json& a = metadata["general.alignment"];
  if (!a.is_number_unsigned() || a.get<uint64_t>() == 0 || (a.get<uint64_t>() & (a.get<uint64_t>() - 1)) != 0 ||
      a.get<uint64_t>() > (1u << 20))
    c.fail("general.alignment is " + a.dump(-1, ' ', false, Json::error_handler_t::replace) + ", not a power of two");
  return a.get<uint64_t>();
}

}  // namespace

int64_t GgufTensorInfo::count() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

GgufFile readGguf(const fs::path& file) {
  Cursor c(file);
  GgufFile g;
  char magic[4];
  for (char& m : magic) m = static_cast<char>(c.get<uint8_t>());
  if (std::memcmp(magic, "GGUF", 4) != 0) c.fail("no GGUF magic");
  g.version = c.get<uint32_t>();
  if (g.version != 2 && g.version != 3) c.fail("version " + std::to_string(g.version) + " (Reef reads 2 and 3)");
  const uint64_t tensors = c.get<uint64_t>(), keys = c.get<uint64_t>();
  if (tensors > c.remaining() || keys > c.remaining()) c.fail("counts larger than the file");
  for (uint64_t i = 0; i < keys; ++i) {
    const std::string key = c.string();
    if (g.metadata.contains(key)) c.fail("metadata key '" + key + "' given twice");
    g.metadata[key] = readValue(c, c.get<uint32_t>(), 0);
  }
  g.alignment = alignmentOf(g.metadata, c);
  std::set<std::string> names;
  for (uint64_t i = 0; i < tensors; ++i) {
    g.tensors.push_back(readTensorInfo(c));
    if (!names.insert(g.tensors.back().name).second) c.fail("tensor '" + g.tensors.back().name + "' given twice");
  }
  g.fileSize = c.size();
  g.dataStart = (c.pos() + g.alignment - 1) / g.alignment * g.alignment;
  for (GgufTensorInfo& t : g.tensors) {
    const uint64_t room = g.fileSize > g.dataStart ? g.fileSize - g.dataStart : 0;
    if (t.offset % g.alignment != 0) c.fail("tensor '" + t.name + "' is not aligned");
    if (t.offset > room || t.bytes > room - t.offset)
      c.fail("tensor '" + t.name + "' (" + std::to_string(t.bytes) + " bytes at " + std::to_string(t.offset) +
             ") lies outside the file");
    t.offset += g.dataStart;
  }
  return g;
}

std::vector<float> readGgufTensor(const fs::path& file, const GgufTensorInfo& t) {
  std::ifstream in(file, std::ios::binary);
  std::vector<uint8_t> bytes(static_cast<size_t>(t.bytes));
  in.seekg(static_cast<std::streamoff>(t.offset));
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!in) throw std::runtime_error("cannot read tensor '" + t.name + "' of '" + file.string() + "'");
  std::vector<float> values(static_cast<size_t>(t.count()));
  for (size_t i = 0; i < values.size(); ++i) {
    switch (t.type) {
      case GgmlType::F32:
        std::memcpy(&values[i], &bytes[i * 4], 4);
        break;
      case GgmlType::F16: {
        uint16_t h;
        std::memcpy(&h, &bytes[i * 2], 2);
        values[i] = floatFromHalf(h);
        break;
      }
      case GgmlType::Q8_0: {
        const uint8_t* block = &bytes[i / 32 * 34];
        uint16_t d;
        std::memcpy(&d, block, 2);
        values[i] = floatFromHalf(d) * static_cast<float>(static_cast<int8_t>(block[2 + i % 32]));
        break;
      }
    }
  }
  return values;
}

}  // namespace reef::exporting

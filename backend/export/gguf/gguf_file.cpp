#include "backend/export/gguf/gguf_file.h"

#include "backend/protocol/atomic_file.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <type_traits>

namespace reef::exporting {

namespace {

constexpr uint32_t kAlignment = 32;
enum ValueType : uint32_t { kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7, kString = 8, kArray = 9 };

template <typename T>
void put(std::vector<uint8_t>& out, T value) {
  const auto* p = reinterpret_cast<const uint8_t*>(&value);
  out.insert(out.end(), p, p + sizeof(T));  // GGUF is little-endian, as this machine is
}

void putString(std::vector<uint8_t>& out, const std::string& s) {
  put<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

}  // namespace

const char* ggmlTypeName(GgmlType type) {
  switch (type) {
    case GgmlType::F32:
      return "f32";
    case GgmlType::F16:
      return "f16";
    case GgmlType::Q8_0:
      return "q8_0";
  }
  return "?";
}

void GgufWriter::setU32(const std::string& key, uint32_t value) {
  putString(metadata_, key);
  put<uint32_t>(metadata_, kU32);
  put(metadata_, value);
  ++kvCount_;
}

void GgufWriter::setF32(const std::string& key, float value) {
  putString(metadata_, key);
  put<uint32_t>(metadata_, kF32);
  put(metadata_, value);
  ++kvCount_;
}

void GgufWriter::setBool(const std::string& key, bool value) {
  putString(metadata_, key);
  put<uint32_t>(metadata_, kBool);
  put<uint8_t>(metadata_, value ? 1 : 0);
  ++kvCount_;
}

void GgufWriter::setString(const std::string& key, const std::string& value) {
  putString(metadata_, key);
  put<uint32_t>(metadata_, kString);
  putString(metadata_, value);
  ++kvCount_;
}

void GgufWriter::setStrings(const std::string& key, const std::vector<std::string>& values) {
  setArray(key, kString, values);
}
void GgufWriter::setF32s(const std::string& key, const std::vector<float>& values) { setArray(key, kF32, values); }
void GgufWriter::setI32s(const std::string& key, const std::vector<int32_t>& values) { setArray(key, kI32, values); }

template <typename T>
void GgufWriter::setArray(const std::string& key, uint32_t elementType, const std::vector<T>& values) {
  putString(metadata_, key);
  put<uint32_t>(metadata_, kArray);
  put<uint32_t>(metadata_, elementType);
  put<uint64_t>(metadata_, values.size());
  for (const T& v : values) {
    if constexpr (std::is_same_v<T, std::string>)
      putString(metadata_, v);
    else
      put(metadata_, v);
  }
  ++kvCount_;
}

void GgufWriter::addTensor(const std::string& name, const std::vector<int64_t>& shape, const float* data,
                           GgmlType type) {
  if (shape.empty()) throw std::invalid_argument("GGUF tensor '" + name + "' has no dimensions");
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  Tensor t{name, shape, type, {}};
  switch (type) {
    case GgmlType::F32:
      t.bytes.resize(static_cast<size_t>(count) * 4);
      std::memcpy(t.bytes.data(), data, t.bytes.size());
      break;
    case GgmlType::F16:
      for (int64_t i = 0; i < count; ++i) put(t.bytes, halfFromFloat(data[i]));
      break;
    case GgmlType::Q8_0:
      if (shape.back() % 32 != 0)
        throw std::invalid_argument("GGUF tensor '" + name + "': Q8_0 needs rows of a multiple of 32 values, not " +
                                    std::to_string(shape.back()));
      t.bytes = quantizeQ8_0(data, count);
      break;
  }
  tensors_.push_back(std::move(t));
}

void GgufWriter::write(const std::filesystem::path& path) const {
  std::vector<uint8_t> head;
  head.insert(head.end(), {'G', 'G', 'U', 'F'});
  put<uint32_t>(head, 3);
  put<uint64_t>(head, tensors_.size());
  put<uint64_t>(head, kvCount_);
  head.insert(head.end(), metadata_.begin(), metadata_.end());
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    putString(head, t.name);
    put<uint32_t>(head, static_cast<uint32_t>(t.shape.size()));
    for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it)
      put<uint64_t>(head, static_cast<uint64_t>(*it));  // ne[0] innermost
    put<uint32_t>(head, static_cast<uint32_t>(t.type));
    put<uint64_t>(head, offset);
    offset += (t.bytes.size() + kAlignment - 1) / kAlignment * kAlignment;
  }
  head.resize((head.size() + kAlignment - 1) / kAlignment * kAlignment, 0);

  protocol::replaceWhenWritten(path, [&](const std::filesystem::path& partial) {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write '" + partial.string() + "'");
    out.write(reinterpret_cast<const char*>(head.data()), static_cast<std::streamsize>(head.size()));
    static const char zeros[kAlignment] = {};
    for (const auto& t : tensors_) {
      out.write(reinterpret_cast<const char*>(t.bytes.data()), static_cast<std::streamsize>(t.bytes.size()));
      out.write(zeros, static_cast<std::streamsize>((kAlignment - t.bytes.size() % kAlignment) % kAlignment));
    }
    out.close();  // flushes: a full disk shows here, before the rename
    if (!out) throw std::runtime_error("writing '" + partial.string() + "' failed (is the disk full?)");
  });
}

uint16_t halfFromFloat(float value) {
  uint32_t x;
  std::memcpy(&x, &value, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t mantissa = x & 0x7fffffu;
  const int32_t exponent = static_cast<int32_t>((x >> 23) & 0xffu);
  if (exponent == 0xff) return static_cast<uint16_t>(sign | 0x7c00u | (mantissa ? 0x200u : 0));  // inf, nan
  const int32_t e = exponent - 127 + 15;
  if (e >= 0x1f) return static_cast<uint16_t>(sign | 0x7c00u);  // too large: infinity
  if (e <= 0) {                                                 // a half subnormal, or zero
    if (e < -10) return static_cast<uint16_t>(sign);
    mantissa |= 0x800000u;
    const int shift = 14 - e;
    uint32_t half = mantissa >> shift;
    const uint32_t rest = mantissa & ((1u << shift) - 1), middle = 1u << (shift - 1);
    if (rest > middle || (rest == middle && (half & 1u))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = (static_cast<uint32_t>(e) << 10) | (mantissa >> 13);
  const uint32_t rest = mantissa & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;  // a carry rounds into the exponent, as it should
  return static_cast<uint16_t>(sign | half);
}

float floatFromHalf(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1fu, mantissa = half & 0x3ffu;
  float magnitude;
  if (exponent == 0)
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  else if (exponent == 0x1f)
    magnitude = mantissa ? NAN : INFINITY;
  else
    magnitude = std::ldexp(static_cast<float>(mantissa | 0x400u), static_cast<int>(exponent) - 25);
  uint32_t bits;
  std::memcpy(&bits, &magnitude, 4);
  bits |= sign;
  float out;
  std::memcpy(&out, &bits, 4);
  return out;
}

std::vector<uint8_t> quantizeQ8_0(const float* data, int64_t count) {
  if (count % 32 != 0) throw std::invalid_argument("Q8_0 quantises blocks of 32 values");
  std::vector<uint8_t> out;
  out.reserve(static_cast<size_t>(count / 32 * 34));
  for (int64_t b = 0; b < count; b += 32) {
    float amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(data[b + i]));
    const float d = amax / 127.0f, inverse = d != 0 ? 1.0f / d : 0.0f;
    put(out, halfFromFloat(d));
    for (int i = 0; i < 32; ++i) put<int8_t>(out, static_cast<int8_t>(std::lround(data[b + i] * inverse)));
  }
  return out;
}

}  // namespace reef::exporting

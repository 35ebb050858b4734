#pragma once
// GGUF (version 3), the file format of the GGML tools: a header, typed key/value
// metadata, tensor descriptions, then each tensor's data aligned to 32 bytes. Torch-free, so the
// format can be tested apart from any model.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace reef::exporting {

enum class GgmlType : uint32_t { F32 = 0, F16 = 1, Q8_0 = 8 };

const char* ggmlTypeName(GgmlType type);

class GgufWriter {
 public:
  void setU32(const std::string& key, uint32_t value);
  void setF32(const std::string& key, float value);
  void setBool(const std::string& key, bool value);
  void setString(const std::string& key, const std::string& value);
  void setStrings(const std::string& key, const std::vector<std::string>& values);
  void setF32s(const std::string& key, const std::vector<float>& values);
  void setI32s(const std::string& key, const std::vector<int32_t>& values);

  // `shape` in row-major order (outermost first, as torch writes it); `data` holds its float32
  // values, stored as `type`. Q8_0 needs rows of a multiple of 32 values.
  void addTensor(const std::string& name, const std::vector<int64_t>& shape, const float* data, GgmlType type);

  // Writes the file (to a temporary name first, renamed when complete).
  void write(const std::filesystem::path& path) const;

  size_t tensorCount() const { return tensors_.size(); }

 private:
  // key, array marker, element type, count, then the elements.
  template <typename T>
  void setArray(const std::string& key, uint32_t elementType, const std::vector<T>& values);
  struct Tensor {
    std::string name;
    std::vector<int64_t> shape;
    GgmlType type;
    std::vector<uint8_t> bytes;
  };
  std::vector<uint8_t> metadata_;  // encoded key/value pairs
  uint64_t kvCount_ = 0;
  std::vector<Tensor> tensors_;
};

// IEEE half precision, rounded to nearest even.
uint16_t halfFromFloat(float value);
float floatFromHalf(uint16_t half);
// GGML's Q8_0: per block of 32 values an fp16 scale d = max|x| / 127 and 32 int8 round(x / d).
std::vector<uint8_t> quantizeQ8_0(const float* data, int64_t count);

}  // namespace reef::exporting

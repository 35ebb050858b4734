#pragma once
// GGUF files read back, independently of GgufWriter: the header, every metadata value (all of
// GGUF's value types, arrays nested), the tensor descriptions and each tensor's values. Used by
// the export check and fuzzed, as a GGUF file may come from anywhere. Torch-free.
#include "backend/export/gguf/gguf_file.h"
#include "backend/protocol/json.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace reef::exporting {

struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> shape;  // row-major, outermost first (the reverse of GGUF's ne[])
  GgmlType type = GgmlType::F32;
  uint64_t offset = 0;  // from the start of the file
  uint64_t bytes = 0;
  int64_t count() const;
};

struct GgufFile {
  uint32_t version = 0;
  // Key -> value; arrays as JSON arrays. Strings hold the file's bytes (GGUF asks for UTF-8 but
  // a reader cannot rely on it).
  Json metadata = Json::object();
  std::vector<GgufTensorInfo> tensors;
  uint64_t alignment = 32;
  uint64_t dataStart = 0, fileSize = 0;
};

// Throws std::runtime_error naming the file, the byte offset and what is wrong: a bad magic or
// version, a value type or tensor type Reef does not know, a count that the file cannot hold, a
// repeated key or tensor name, a tensor whose data is misaligned or lies outside the file.
GgufFile readGguf(const std::filesystem::path& file);

// One tensor's values as float32 (F16 and Q8_0 dequantised), row-major.
std::vector<float> readGgufTensor(const std::filesystem::path& file, const GgufTensorInfo& tensor);

}  // namespace reef::exporting

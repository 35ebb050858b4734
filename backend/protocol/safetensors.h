#pragma once
// The safetensors format, written and read by Reef itself: an 8-byte little-endian header length,
// a JSON header naming each tensor's dtype, shape and byte range, then the raw little-endian data.
// No code runs on load, so a checkpoint is safe to open and readable by the Python ecosystem.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace reef::protocol {

enum class DType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, Bool };

const char* dtypeName(DType dtype);  // "F32", "BF16", ...
size_t dtypeSize(DType dtype);

struct TensorData {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const void* data = nullptr;  // row-major, little-endian
  size_t nbytes = 0;
};

// Writes and fsyncs `path`. Throws std::runtime_error naming the file on any I/O error.
void writeSafetensors(const std::filesystem::path& path, const std::vector<TensorData>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// A safetensors file mapped read-only. Opening validates the whole layout: a truncated or
// corrupt file throws an error that says what is wrong with it.
class SafetensorsFile {
 public:
  struct Entry {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    const uint8_t* data;
    size_t nbytes;
  };

  static SafetensorsFile open(const std::filesystem::path& path);
  SafetensorsFile(SafetensorsFile&& other) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&& other) noexcept;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;
  ~SafetensorsFile();

  const std::vector<Entry>& tensors() const { return entries_; }
  const Entry* find(const std::string& name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  SafetensorsFile() = default;
  void release();

  std::filesystem::path path_;
  void* map_ = nullptr;
  size_t size_ = 0;
  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace reef::protocol

#include "backend/protocol/safetensors.h"

#include "backend/protocol/json.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::protocol {

namespace {

struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::F64, "F64", 8}, {DType::F32, "F32", 4},   {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
    {DType::I64, "I64", 8}, {DType::I32, "I32", 4},   {DType::I16, "I16", 2}, {DType::I8, "I8", 1},
    {DType::U8, "U8", 1},   {DType::Bool, "BOOL", 1},
};

// Header lengths beyond this are corrupt, not large models (the reference reader uses 100 MB).
constexpr uint64_t kMaxHeader = 100u << 20;

[[noreturn]] void invalid(const fs::path& path, const std::string& why) {
  throw std::runtime_error("'" + path.string() + "' is not a valid safetensors file: " + why);
}

void writeAll(int fd, const void* data, size_t n, const fs::path& path) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("cannot write '" + path.string() + "': " + std::strerror(errno) +
                               (errno == ENOSPC ? " (the disk is full: free space and retry)" : ""));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}

}  // namespace

const char* dtypeName(DType dtype) {
  for (const auto& d : kDTypes)
    if (d.dtype == dtype) return d.name;
  return "?";
}

size_t dtypeSize(DType dtype) {
  for (const auto& d : kDTypes)
    if (d.dtype == dtype) return d.size;
  return 0;
}

void writeSafetensors(const fs::path& path, const std::vector<TensorData>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  Json header = Json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    uint64_t elements = 1;
    for (int64_t d : t.shape) elements *= static_cast<uint64_t>(d);
    if (elements * dtypeSize(t.dtype) != t.nbytes)
      throw std::logic_error("safetensors: tensor '" + t.name + "' has " + std::to_string(t.nbytes) +
                             " bytes but its shape needs " + std::to_string(elements * dtypeSize(t.dtype)));
    if (header.contains(t.name)) throw std::logic_error("safetensors: tensor name '" + t.name + "' is used twice");
    header[t.name] = {{"dtype", dtypeName(t.dtype)}, {"shape", t.shape}, {"data_offsets", {offset, offset + t.nbytes}}};
    offset += t.nbytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned
  uint8_t lengthBytes[8];
  for (int i = 0; i < 8; ++i) lengthBytes[i] = static_cast<uint8_t>(uint64_t(text.size()) >> (8 * i));

  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot create '" + path.string() + "': " + std::strerror(errno));
  try {
    writeAll(fd, lengthBytes, 8, path);
    writeAll(fd, text.data(), text.size(), path);
    for (const auto& t : tensors) writeAll(fd, t.data, t.nbytes, path);
    if (::fsync(fd) != 0)
      throw std::runtime_error("cannot flush '" + path.string() + "' to disk: " + std::strerror(errno));
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

SafetensorsFile SafetensorsFile::open(const fs::path& path) {
  SafetensorsFile file;
  file.path_ = path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open '" + path.string() + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot stat '" + path.string() + "': " + std::strerror(errno));
  }
  file.size_ = static_cast<size_t>(st.st_size);
  if (file.size_ > 0) {
    file.map_ = ::mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (file.map_ == MAP_FAILED) {
      file.map_ = nullptr;
      ::close(fd);
      throw std::runtime_error("cannot map '" + path.string() + "': " + std::strerror(errno));
    }
  }
  ::close(fd);

  const auto* bytes = static_cast<const uint8_t*>(file.map_);
  if (file.size_ < 8)
    invalid(path, "it is truncated (" + std::to_string(file.size_) + " bytes; even the header length needs 8)");
  uint64_t headerLength = 0;
  for (int i = 7; i >= 0; --i) headerLength = (headerLength << 8) | bytes[i];
  if (headerLength > kMaxHeader)
    invalid(path, "its header length field says " + std::to_string(headerLength) + " bytes, which is corrupt");
  if (8 + headerLength > file.size_)
    invalid(path, "it is truncated (" + std::to_string(file.size_) + " bytes; the header alone needs " +
                      std::to_string(8 + headerLength) + ")");
  Json header = Json::parse(bytes + 8, bytes + 8 + headerLength, nullptr, false);
  if (header.is_discarded() || !header.is_object()) invalid(path, "its header is not a JSON object");

  const uint8_t* data = bytes + 8 + headerLength;
  const uint64_t dataSize = file.size_ - 8 - headerLength;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      if (!info.is_object()) invalid(path, "__metadata__ is not an object of strings");
      for (const auto& [k, v] : info.items()) {
        if (!v.is_string()) invalid(path, "__metadata__." + k + " is not a string");
        file.metadata_[k] = v.get<std::string>();
      }
      continue;
    }
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets") ||
        !info["dtype"].is_string() || !info["shape"].is_array() || !info["data_offsets"].is_array() ||
        info["data_offsets"].size() != 2)
      invalid(path, "entry '" + name + "' lacks dtype, shape or data_offsets");
    const std::string dtype = info["dtype"].get<std::string>();
    const auto* d =
        std::find_if(std::begin(kDTypes), std::end(kDTypes), [&](const DTypeInfo& x) { return dtype == x.name; });
    if (d == std::end(kDTypes)) invalid(path, "entry '" + name + "' has unsupported dtype " + dtype);
    Entry e{name, d->dtype, {}, nullptr, 0};
    uint64_t elements = 1;
    for (const auto& dim : info["shape"]) {
      if (!dim.is_number_unsigned()) invalid(path, "entry '" + name + "' has a negative or non-integer dimension");
      e.shape.push_back(dim.get<int64_t>());
      elements *= dim.get<uint64_t>();
    }
    const auto& off = info["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      invalid(path, "entry '" + name + "' has invalid data_offsets");
    const uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    if (begin > end || end - begin != elements * d->size)
      invalid(path, "entry '" + name + "' spans " + std::to_string(end - begin) + " bytes but its shape needs " +
                        std::to_string(elements * d->size));
    if (end > dataSize)
      invalid(path, "it is truncated: tensor '" + name + "' ends at byte " + std::to_string(end) +
                        " of the data but the file holds only " + std::to_string(dataSize));
    e.data = data + begin;
    e.nbytes = end - begin;
    ranges.emplace_back(begin, end);
    file.entries_.push_back(std::move(e));
  }
  std::sort(ranges.begin(), ranges.end());
  uint64_t expected = 0;
  for (const auto& [b, e] : ranges) {
    if (b != expected) invalid(path, "its tensors overlap or leave a gap at byte " + std::to_string(expected));
    expected = e;
  }
  if (expected != dataSize)
    invalid(path, "it has " + std::to_string(dataSize - expected) + " unexplained bytes after the last tensor");
  return file;
}

SafetensorsFile::SafetensorsFile(SafetensorsFile&& other) noexcept { *this = std::move(other); }

SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    map_ = std::exchange(other.map_, nullptr);
    size_ = std::exchange(other.size_, 0);
    entries_ = std::move(other.entries_);
    metadata_ = std::move(other.metadata_);
  }
  return *this;
}

SafetensorsFile::~SafetensorsFile() { release(); }

void SafetensorsFile::release() {
  if (map_) ::munmap(map_, size_);
  map_ = nullptr;
  size_ = 0;
}

const SafetensorsFile::Entry* SafetensorsFile::find(const std::string& name) const {
  for (const auto& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

}  // namespace reef::protocol

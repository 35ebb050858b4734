#pragma once
// The IDX format of MNIST and Fashion-MNIST: a big-endian magic (0x0000 08 <dims>), one big-endian
// uint32 per dimension, then unsigned bytes.
#include <cstdint>
#include <filesystem>
#include <vector>

namespace reef::vision {

struct IdxArray {
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
};

// Throws an error naming the file when it is missing, not IDX of unsigned bytes, or truncated.
IdxArray readIdx(const std::filesystem::path& path);

}  // namespace reef::vision

#include "backend/collections/vision/idx_file.h"

#include <fstream>
#include <stdexcept>

namespace reef::vision {

IdxArray readIdx(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open '" + path.string() + "'");
  auto fail = [&](const std::string& why) -> IdxArray {
    throw std::runtime_error("'" + path.string() + "' is not a usable IDX file: " + why +
                             " (re-run scripts/prepare-data.sh)");
  };
  unsigned char magic[4];
  if (!in.read(reinterpret_cast<char*>(magic), 4)) return fail("shorter than its 4-byte magic");
  if (magic[0] != 0 || magic[1] != 0) return fail("bad magic number");
  if (magic[2] != 0x08) return fail("element type is not unsigned byte");
  const int dims = magic[3];
  if (dims < 1 || dims > 4) return fail("has " + std::to_string(dims) + " dimensions");
  IdxArray out;
  uint64_t elements = 1;
  for (int i = 0; i < dims; ++i) {
    unsigned char b[4];
    if (!in.read(reinterpret_cast<char*>(b), 4)) return fail("truncated header");
    const int64_t d = (int64_t(b[0]) << 24) | (int64_t(b[1]) << 16) | (int64_t(b[2]) << 8) | int64_t(b[3]);
    out.shape.push_back(d);
    elements *= static_cast<uint64_t>(d);
  }
  if (elements > (uint64_t(1) << 34)) return fail("implausible size");
  out.data.resize(elements);
  if (!in.read(reinterpret_cast<char*>(out.data.data()), static_cast<std::streamsize>(elements)))
    return fail("truncated: the header promises " + std::to_string(elements) + " bytes of data");
  return out;
}

}  // namespace reef::vision

#include "backend/protocol/atomic_file.h"

namespace reef::protocol {

void replaceWhenWritten(const std::filesystem::path& target,
                        const std::function<void(const std::filesystem::path& temporary)>& write) {
  const std::filesystem::path temporary = target.string() + ".partial";
  try {
    write(temporary);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(temporary, ec);
    throw;
  }
  std::filesystem::rename(temporary, target);
}

}  // namespace reef::protocol

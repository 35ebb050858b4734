#include "backend/protocol/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace reef::protocol {

namespace {

[[noreturn]] void cannotWrite(const std::filesystem::path& path) {
  throw std::runtime_error("cannot write '" + path.string() + "': " + std::strerror(errno) + " (is the disk full?)");
}

void writeAll(int fd, const std::string& text, const std::filesystem::path& path) {
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) cannotWrite(path);
    done += static_cast<size_t>(n);
  }
}

}  // namespace

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

void writeFileAtomically(const std::filesystem::path& target, const std::string& text) {
  replaceWhenWritten(target, [&](const std::filesystem::path& temporary) {
    const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) cannotWrite(temporary);
    try {
      writeAll(fd, text, temporary);
      if (::fsync(fd) != 0) cannotWrite(temporary);
    } catch (...) {
      ::close(fd);
      throw;
    }
    ::close(fd);
  });
  // The rename itself is durable once the folder is synced.
  const int dir =
      ::open(target.parent_path().empty() ? "." : target.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace reef::protocol

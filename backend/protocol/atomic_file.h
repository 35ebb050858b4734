#pragma once
// A file that appears complete or not at all: written under a temporary name beside it, renamed
// over the target once whole. When writing fails (a full disk), the partial file is removed, so
// that a failed export neither leaves a truncated file nor keeps the space it took.
#include <filesystem>
#include <functional>

namespace reef::protocol {

// Calls `write` with the temporary path (`target` + ".partial"), then renames it to `target`.
// Rethrows what `write` throws, after removing the temporary file.
void replaceWhenWritten(const std::filesystem::path& target,
                        const std::function<void(const std::filesystem::path& temporary)>& write);

}  // namespace reef::protocol

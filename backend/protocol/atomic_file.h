#pragma once
// A file that appears complete or not at all: written under a temporary name beside it, renamed
// over the target once whole. When writing fails (a full disk), the partial file is removed, so
// that a failed write neither leaves a truncated file nor keeps the space it took, and readers of
// the target keep seeing its previous version.
#include <filesystem>
#include <functional>
#include <string>

namespace reef::protocol {

// Calls `write` with the temporary path (`target` + ".partial"), then renames it to `target`.
// Rethrows what `write` throws, after removing the temporary file.
void replaceWhenWritten(const std::filesystem::path& target,
                        const std::function<void(const std::filesystem::path& temporary)>& write);

// Replaces `target` with `text`, durably (fsync of the file and its folder). Throws naming the
// temporary file and the system's reason ("No space left on device") when it cannot.
void writeFileAtomically(const std::filesystem::path& target, const std::string& text);

}  // namespace reef::protocol

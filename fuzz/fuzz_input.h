#pragma once
// What every harness shares: the entry point libFuzzer calls, the input as text or as a file for
// the parsers that read files, and the rule for what counts as a finding. A parser may reject an
// input by throwing std::exception (that is its job); a crash, a sanitizer report, a hang or an
// escaped non-standard exception is a finding, and so is an exception type the harness names as
// impossible (e.g. SQLite rejecting SQL that a filter compiled).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace reef::fuzz {

inline std::string text(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Writes the input to this process's scratch file (one per harness process, reused) and returns it.
std::filesystem::path asFile(const uint8_t* data, size_t size, const std::string& suffix = "");

// Reports a finding and aborts, so libFuzzer keeps the input.
[[noreturn]] void finding(const std::string& what);

}  // namespace reef::fuzz

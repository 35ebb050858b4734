#pragma once
// Well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), the
// only text nlohmann::json writes: files Reef reads are checked or repaired with these before
// their strings reach JSON.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace reef::protocol {

// The offset of the first byte that does not start a well-formed sequence, if any.
std::optional<size_t> firstInvalidUtf8(std::string_view text);
// `text` with every ill-formed byte replaced by U+FFFD.
std::string validUtf8(std::string_view text);

}  // namespace reef::protocol

#pragma once
// Standard base64 (RFC 4648): images in JSON (requests to reef serve, reef retrieve's results).
#include <cstdint>
#include <string>
#include <vector>

namespace reef::protocol {

// Padding optional, line breaks skipped; throws std::invalid_argument on other characters.
std::vector<uint8_t> decodeBase64(const std::string& text);
// With padding, no line breaks.
std::string encodeBase64(const std::string& bytes);

}  // namespace reef::protocol

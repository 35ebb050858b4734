#include "backend/export/deploy/image_input.h"

#include "backend/export/deploy/openai_protocol.h"
#include "backend/protocol/base64.h"

#include <algorithm>
#include <memory>
#include <stdexcept>

#include <stb/stb_image.h>

namespace reef::deploy {

namespace {

std::string sizeText(const ImageSize& s) {
  return std::to_string(s.channels) + "x" + std::to_string(s.height) + "x" + std::to_string(s.width);
}

// A base64 image (bare, or a data: URL) -> its bytes, a PNG or JPEG by signature.
std::vector<uint8_t> encodedBytes(const std::string& text, const std::string& where, const std::string& param) {
  std::string payload = text;
  if (payload.rfind("data:", 0) == 0) {
    const auto comma = payload.find(',');
    if (comma == std::string::npos || payload.substr(0, comma).find(";base64") == std::string::npos)
      throw invalidRequest(where + " is a data: URL without ';base64,'", param);
    payload = payload.substr(comma + 1);
  }
  std::vector<uint8_t> bytes;
  try {
    bytes = protocol::decodeBase64(payload);
  } catch (const std::invalid_argument& e) {
    throw invalidRequest(where + " is not base64: " + e.what(), param);
  }
  // Debian's libstb decodes many formats; a server taking untrusted bytes hands it only the two
  // it documents, told apart by their signatures.
  static const uint8_t pngSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  const bool png = bytes.size() >= 8 && std::equal(bytes.begin(), bytes.begin() + 8, pngSignature);
  const bool jpeg = bytes.size() >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;
  if (!png && !jpeg) throw invalidRequest(where + " is not a PNG or JPEG image (no PNG or JPEG signature)", param);
  return bytes;
}

std::vector<float> fromEncoded(const std::string& text, const ImageSize& expected, const std::string& where) {
  const std::vector<uint8_t> bytes = encodedBytes(text, where, "input");
  int w = 0, h = 0, channels = 0;
  const int want = expected.channels == 1 ? 1 : 3;
  // The size is read from the header before anything is decoded: a small file can declare an
  // image of gigabytes.
  if (!stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &channels))
    throw invalidRequest(where + " is not a PNG or JPEG image (" + stbi_failure_reason() + ")", "input");
  if (h != expected.height || w != expected.width)
    throw invalidRequest(where + " is " + std::to_string(w) + "x" + std::to_string(h) + " pixels; the model takes " +
                             std::to_string(expected.width) + "x" + std::to_string(expected.height),
                         "input");
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &channels, want), stbi_image_free);
  if (!pixels) throw invalidRequest(where + " is not a PNG or JPEG image (" + stbi_failure_reason() + ")", "input");
  if (h != expected.height || w != expected.width)
    throw invalidRequest(where + " is " + std::to_string(w) + "x" + std::to_string(h) + " pixels; the model takes " +
                             std::to_string(expected.width) + "x" + std::to_string(expected.height),
                         "input");
  // stb gives interleaved H x W x C; the model takes C x H x W. Grey conversion is stb's own.
  std::vector<float> out(static_cast<size_t>(want * h * w));
  for (int c = 0; c < want; ++c)
    for (int i = 0; i < h * w; ++i) out[static_cast<size_t>(c * h * w + i)] = pixels.get()[i * want + c] / 255.0f;
  return out;
}

std::vector<float> fromArray(const Json& a, const ImageSize& expected, const std::string& where) {
  const bool hasChannels = !a.empty() && a[0].is_array() && !a[0].empty() && a[0][0].is_array();
  const Json planes = hasChannels ? a : Json::array({a});
  const std::string wanted =
      hasChannels ? sizeText(expected) : std::to_string(expected.height) + "x" + std::to_string(expected.width);
  auto wrongShape = [&] {
    return invalidRequest(where + " is not a " + wanted + " array of pixel values (the model takes " +
                              sizeText(expected) + ", given as [C][H][W] or, for one channel, [H][W])",
                          "input");
  };
  if (static_cast<int64_t>(planes.size()) != expected.channels) throw wrongShape();
  std::vector<float> out;
  out.reserve(static_cast<size_t>(expected.channels * expected.height * expected.width));
  for (const auto& plane : planes) {
    if (!plane.is_array() || static_cast<int64_t>(plane.size()) != expected.height) throw wrongShape();
    for (const auto& row : plane) {
      if (!row.is_array() || static_cast<int64_t>(row.size()) != expected.width) throw wrongShape();
      for (const auto& v : row) {
        if (!v.is_number() || v.get<double>() < 0 || v.get<double>() > 255)
          throw invalidRequest(where + " holds " + v.dump() + "; pixel values are numbers from 0 to 255", "input");
        out.push_back(static_cast<float>(v.get<double>() / 255.0));
      }
    }
  }
  return out;
}

}  // namespace

AnyImage decodeAnyImage(const Json& input, const std::string& where, const std::string& param, int64_t& pixelsLeft) {
  if (!input.is_string()) throw invalidRequest(where + " must be a base64 PNG or JPEG image (or a data: URL)", param);
  const std::vector<uint8_t> bytes = encodedBytes(input.get<std::string>(), where, param);
  int w = 0, h = 0, channels = 0;
  if (!stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &channels))
    throw invalidRequest(where + " is not a PNG or JPEG image (" + stbi_failure_reason() + ")", param);
  const int64_t area = static_cast<int64_t>(w) * h;
  if (area > kMaxImagePixels)
    throw invalidRequest(where + " is " + std::to_string(w) + "x" + std::to_string(h) +
                             " pixels; at most 2048x2048 (or as many pixels) are decoded: scale it down",
                         param);
  if (area > pixelsLeft)
    throw invalidRequest(where + " is past the " + std::to_string(kMaxRequestPixels / 1048576) +
                             " million pixels one request may decode: send the images in several requests",
                         param);
  pixelsLeft -= area;
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &channels, 4), stbi_image_free);
  if (!pixels) throw invalidRequest(where + " is not a PNG or JPEG image (" + stbi_failure_reason() + ")", param);
  AnyImage image{{4, h, w}, std::vector<float>(static_cast<size_t>(4 * h * w))};
  for (int c = 0; c < 4; ++c)
    for (int i = 0; i < h * w; ++i) image.pixels[static_cast<size_t>(c * h * w + i)] = pixels.get()[i * 4 + c] / 255.0f;
  return image;
}

std::vector<float> decodeImage(const Json& input, const ImageSize& expected, const std::string& where) {
  if (input.is_string()) return fromEncoded(input.get<std::string>(), expected, where);
  if (input.is_array()) return fromArray(input, expected, where);
  throw invalidRequest(where + " must be a base64 image or an array of pixel values", "input");
}

}  // namespace reef::deploy

#pragma once
// Images as clients send them to /v1/classify, turned into the pixels a classifier takes:
// channels x height x width floats in [0, 1]. Torch-free; decoding through stb_image.
#include "backend/protocol/json.h"

#include <cstdint>
#include <string>
#include <vector>

namespace reef::deploy {

struct ImageSize {
  int64_t channels = 1, height = 0, width = 0;
};

// `input`: a base64 PNG/JPEG (bare, or a data: URL) or a nested array of pixel values 0..255,
// [H][W] or [C][H][W]. Colour images given to a one-channel model are converted to grey (stb_image's
// luma weights). The size must match: Reef does not resize, as a resized digit is not the digit the
// model learned. Throws ApiError (400) naming `where` and what was expected.
std::vector<float> decodeImage(const Json& input, const ImageSize& expected, const std::string& where);

// For models that fit any picture to their input (CLIP-style): a base64 PNG/JPEG (or data: URL)
// of any size up to kMaxImagePixels, as RGBA [4][H][W] floats in [0, 1]. `pixelsLeft` is what the
// request may still decode (a 16 KB PNG can hold 16 million pixels: 256 MB of floats), taken from
// when the image is decoded. Throws ApiError (400) naming `where` and the request's field `param`.
inline constexpr int64_t kMaxImagePixels = 4'194'304;     // 2048 x 2048
inline constexpr int64_t kMaxRequestPixels = 16'777'216;  // four of them
struct AnyImage {
  ImageSize size;
  std::vector<float> pixels;
};
AnyImage decodeAnyImage(const Json& input, const std::string& where, const std::string& param, int64_t& pixelsLeft);

}  // namespace reef::deploy

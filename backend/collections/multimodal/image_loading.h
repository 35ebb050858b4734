#pragma once
// Images of any size and kind (PNG/JPEG files, grey IDX pixels) turned into what the multimodal
// models take: RGB [3, size, size] floats in [0, 1]. Transparent pixels are composited on white
// (how emoji are seen), grey images repeat their one channel, and the picture is resized to the
// square with area averaging when it shrinks and bilinear interpolation when it grows.
#include <torch/torch.h>

#include <filesystem>
#include <string>

namespace reef::multimodal {

// Throws naming the file when it cannot be read or is not a PNG/JPEG image.
torch::Tensor loadImageFile(const std::filesystem::path& file, int64_t size);

// `pixels`: [C, H, W] floats in [0, 1] with C = 1 (grey), 3 (RGB) or 4 (RGBA).
torch::Tensor fitImage(const torch::Tensor& pixels, int64_t size);

// [3, H, W] floats in [0, 1] as PNG bytes (for clients that show the image).
std::string encodePng(const torch::Tensor& image);

}  // namespace reef::multimodal

#include "backend/collections/multimodal/image_loading.h"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <vector>

namespace fs = std::filesystem;

namespace reef::multimodal {

torch::Tensor loadImageFile(const fs::path& file, int64_t size) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read image '" + file.string() + "'");
  const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), {});
  int w = 0, h = 0, channels = 0;
  if (!stbi_info_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &channels) ||
      static_cast<int64_t>(w) * h > (1 << 26))
    throw std::runtime_error("'" + file.string() + "' is not a PNG or JPEG image of a sensible size");
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(bytes.data(), static_cast<int>(bytes.size()), &w, &h, &channels, 4), stbi_image_free);
  if (!pixels)
    throw std::runtime_error("'" + file.string() + "' is not a PNG or JPEG image (" + stbi_failure_reason() + ")");
  const torch::Tensor hwc = torch::from_blob(pixels.get(), {h, w, 4}, torch::kUInt8);
  return fitImage(hwc.permute({2, 0, 1}).to(torch::kFloat32) / 255.0, size);
}

torch::Tensor fitImage(const torch::Tensor& pixels, int64_t size) {
  namespace F = torch::nn::functional;
  const int64_t c = pixels.size(0);
  torch::Tensor rgb;
  if (c == 1)
    rgb = pixels.expand({3, -1, -1});
  else if (c == 3)
    rgb = pixels;
  else if (c == 4) {
    const torch::Tensor alpha = pixels.narrow(0, 3, 1);
    rgb = pixels.narrow(0, 0, 3) * alpha + (1 - alpha);
  } else
    throw std::invalid_argument("an image needs 1, 3 or 4 channels, not " + std::to_string(c));
  torch::Tensor x = rgb.unsqueeze(0).contiguous();
  if (x.size(2) == size && x.size(3) == size) return x.squeeze(0);
  const bool shrinks = x.size(2) >= size && x.size(3) >= size;
  x = shrinks ? F::interpolate(x, F::InterpolateFuncOptions().size(std::vector<int64_t>{size, size}).mode(torch::kArea))
              : F::interpolate(x, F::InterpolateFuncOptions()
                                      .size(std::vector<int64_t>{size, size})
                                      .mode(torch::kBilinear)
                                      .align_corners(false));
  return x.squeeze(0).clamp(0, 1);
}

std::string encodePng(const torch::Tensor& image) {
  const torch::Tensor hwc = (image.clamp(0, 1) * 255).round().to(torch::kUInt8).permute({1, 2, 0}).contiguous();
  std::string out;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<const char*>(data), static_cast<size_t>(size));
  };
  const int w = static_cast<int>(hwc.size(1)), h = static_cast<int>(hwc.size(0));
  if (!stbi_write_png_to_func(append, &out, w, h, 3, hwc.data_ptr<uint8_t>(), w * 3))
    throw std::runtime_error("PNG encoding failed");
  return out;
}

}  // namespace reef::multimodal

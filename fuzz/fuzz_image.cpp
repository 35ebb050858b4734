// Images sent to `reef serve`'s /v1/classify, decoded as the server decodes them. The first byte
// picks the model's input size and the form: even, the rest is an image file (sent base64-encoded,
// or as a data: URL), so that mutations act on PNG/JPEG bytes rather than on base64 text; odd, the
// rest is a JSON value (nested pixel arrays). A decoded image must have the model's size, with
// every value in [0, 1].
#include "backend/export/deploy/image_input.h"
#include "backend/export/deploy/openai_protocol.h"
#include "backend/protocol/base64.h"
#include "fuzz/fuzz_input.h"

using namespace reef;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static const deploy::ImageSize sizes[] = {{1, 28, 28}, {3, 64, 64}, {1, 4, 4}, {3, 2, 3}};
  const deploy::ImageSize expected = sizes[(data[0] >> 1) % 4];
  Json input;
  if (data[0] & 1) {
    input = Json::parse(data + 1, data + size, nullptr, false);
    if (input.is_discarded()) return 0;
  } else {
    const std::string encoded = protocol::encodeBase64(fuzz::text(data + 1, size - 1));
    input = (data[0] & 8) ? "data:image/png;base64," + encoded : encoded;
  }
  try {
    const std::vector<float> pixels = deploy::decodeImage(input, expected, "inputs[0]");
    if (pixels.size() != static_cast<size_t>(expected.channels * expected.height * expected.width))
      fuzz::finding("decoded " + std::to_string(pixels.size()) + " values");
    for (float v : pixels)
      if (!(v >= 0.0f && v <= 1.0f)) fuzz::finding("a pixel value of " + std::to_string(v));
  } catch (const deploy::ApiError& e) {
    if (e.status != 400 || e.param.empty()) fuzz::finding(std::string("an error without its parameter: ") + e.what());
  }
  return 0;
}

// safetensors files (checkpoints, bundles, Hugging Face exports read back): opening validates the
// layout, after which every tensor's bytes must be readable.
#include "backend/protocol/safetensors.h"
#include "fuzz/fuzz_input.h"

using namespace reef;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto file = protocol::SafetensorsFile::open(fuzz::asFile(data, size, ".safetensors"));
    unsigned sum = 0;
    for (const auto& t : file.tensors()) {
      size_t elements = 1;
      for (int64_t d : t.shape) elements *= static_cast<size_t>(d);
      if (elements * protocol::dtypeSize(t.dtype) != t.nbytes)
        fuzz::finding("a tensor's shape disagrees with its bytes");
      for (size_t i = 0; i < t.nbytes; ++i) sum += t.data[i];
    }
    (void)sum;
  } catch (const std::exception&) {
  }
  return 0;
}

// GGUF files read back by GgufReader (the export check reads what `reef export` wrote; a GGUF
// from elsewhere goes through the same reader). A file it accepts must have every tensor inside
// the file and readable, with as many values as its shape says.
#include "backend/export/gguf/gguf_reader.h"
#include "fuzz/fuzz_input.h"

using namespace reef;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path file = fuzz::asFile(data, size, ".gguf");
  exporting::GgufFile gguf;
  try {
    gguf = exporting::readGguf(file);
  } catch (const std::runtime_error&) {
    return 0;
  }
  for (const exporting::GgufTensorInfo& t : gguf.tensors) {
    if (t.offset + t.bytes > size) fuzz::finding("tensor '" + t.name + "' accepted outside the file");
    if (exporting::readGgufTensor(file, t).size() != static_cast<size_t>(t.count()))
      fuzz::finding("tensor '" + t.name + "' read with the wrong number of values");
  }
  return 0;
}

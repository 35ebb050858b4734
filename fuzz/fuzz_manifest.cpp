// NeMo-style speech manifests (one JSON object per line: audio_filepath, duration, text).
#include "backend/protocol/audio/speech_manifest.h"
#include "fuzz/fuzz_input.h"

using namespace reef;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    protocol::audio::readManifest(fuzz::asFile(data, size, ".json"));
  } catch (const std::exception&) {
  }
  return 0;
}

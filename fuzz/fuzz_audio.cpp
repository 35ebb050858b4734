// Audio files (WAV, FLAC, OGG through libsndfile) read and resampled to 16 kHz, as the speech
// collections and the transcription endpoint read them.
#include "backend/protocol/audio/audio_file.h"
#include "fuzz/fuzz_input.h"

using namespace reef;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    protocol::audio::readAudio(fuzz::asFile(data, size, ".wav"), 16000);
  } catch (const std::exception&) {
  }
  return 0;
}

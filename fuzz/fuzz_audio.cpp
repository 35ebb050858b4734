// Audio (WAV, FLAC, OGG, MP3 through libsndfile) read and resampled to 16 kHz, as the speech
// collections read files and as an uploaded file's bytes are decoded (the transcription endpoint).
#include "backend/protocol/audio/audio_file.h"
#include "fuzz/fuzz_input.h"

#include <string>

using namespace reef;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    protocol::audio::readAudio(fuzz::asFile(data, size, ".wav"), 16000);
  } catch (const std::exception&) {
  }
  try {
    protocol::audio::decodeAudio(std::string(reinterpret_cast<const char*>(data), size), 16000);
  } catch (const std::exception&) {
  }
  return 0;
}

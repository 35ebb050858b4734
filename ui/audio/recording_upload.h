#pragma once
// A microphone recording as the Playground sends it to /v1/audio/transcriptions: FLAC at no more
// than the recognizers' 16 kHz. A device that records faster (a sound card at 48 kHz that cannot
// give 16) is resampled here, which keeps the longest recording, three minutes even of noise,
// under `reef serve`'s 8 MB body limit; a slower one is sent as it is and the server resamples it.
#include <string>
#include <vector>

namespace reef::ui {

constexpr int kUploadSampleRate = 16000;

// The FLAC file's bytes; throws std::runtime_error when they cannot be made.
std::string recordingUpload(const std::vector<float>& samples, int sampleRate);

}  // namespace reef::ui

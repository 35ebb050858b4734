#include "ui/audio/recording_upload.h"

#include "backend/protocol/audio/audio_file.h"

#include <algorithm>

namespace reef::ui {

std::string recordingUpload(const std::vector<float>& samples, int sampleRate) {
  namespace audio = protocol::audio;
  const int sent = std::min(sampleRate, kUploadSampleRate);
  if (sent == sampleRate) return audio::encodeAudio(samples, sampleRate, "flac");
  return audio::encodeAudio(audio::resample(samples, sampleRate, sent, audio::ResampleQuality::Medium), sent, "flac");
}

}  // namespace reef::ui

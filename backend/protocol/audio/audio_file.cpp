#include "backend/protocol/audio/audio_file.h"

#include <samplerate.h>
#include <sndfile.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace reef::protocol::audio {

namespace {

using SndFile = std::unique_ptr<SNDFILE, int (*)(SNDFILE*)>;

}  // namespace

Audio readAudio(const std::filesystem::path& file, int sampleRate) {
  SF_INFO info{};
  SndFile handle(sf_open(file.c_str(), SFM_READ, &info), sf_close);
  if (!handle)
    throw std::runtime_error("cannot read audio file '" + file.string() + "': " + sf_strerror(nullptr) +
                             " (expected WAV, FLAC or OGG)");
  std::vector<float> interleaved(static_cast<size_t>(info.frames) * static_cast<size_t>(info.channels));
  const sf_count_t read = sf_readf_float(handle.get(), interleaved.data(), info.frames);
  if (read < 0)
    throw std::runtime_error("cannot read audio file '" + file.string() + "': " + sf_strerror(handle.get()));
  Audio audio;
  audio.sampleRate = info.samplerate;
  audio.samples.resize(static_cast<size_t>(read));
  for (sf_count_t i = 0; i < read; ++i) {
    float sum = 0;
    for (int c = 0; c < info.channels; ++c) sum += interleaved[static_cast<size_t>(i * info.channels + c)];
    audio.samples[static_cast<size_t>(i)] = sum / static_cast<float>(info.channels);
  }
  if (sampleRate > 0 && sampleRate != audio.sampleRate) {
    audio.samples = resample(audio.samples, audio.sampleRate, sampleRate);
    audio.sampleRate = sampleRate;
  }
  return audio;
}

std::vector<float> resample(const std::vector<float>& samples, int fromRate, int toRate, ResampleQuality quality) {
  if (fromRate <= 0 || toRate <= 0)
    throw std::invalid_argument("resample: sample rates must be positive (got " + std::to_string(fromRate) + " -> " +
                                std::to_string(toRate) + ")");
  if (fromRate == toRate || samples.empty()) return samples;
  const double ratio = static_cast<double>(toRate) / fromRate;
  std::vector<float> out(static_cast<size_t>(static_cast<double>(samples.size()) * ratio) + 16);
  SRC_DATA data{};
  data.data_in = samples.data();
  data.input_frames = static_cast<long>(samples.size());
  data.data_out = out.data();
  data.output_frames = static_cast<long>(out.size());
  data.src_ratio = ratio;
  if (const int error =
          src_simple(&data, quality == ResampleQuality::Best ? SRC_SINC_BEST_QUALITY : SRC_SINC_MEDIUM_QUALITY, 1))
    throw std::runtime_error(std::string("resampling failed: ") + src_strerror(error));
  out.resize(static_cast<size_t>(data.output_frames_gen));
  return out;
}

void writeWav(const std::filesystem::path& file, const std::vector<float>& samples, int sampleRate) {
  SF_INFO info{};
  info.samplerate = sampleRate;
  info.channels = 1;
  info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SndFile handle(sf_open(file.c_str(), SFM_WRITE, &info), sf_close);
  if (!handle) throw std::runtime_error("cannot write '" + file.string() + "': " + sf_strerror(nullptr));
  // Clip rather than let libsndfile wrap around.
  sf_command(handle.get(), SFC_SET_CLIPPING, nullptr, SF_TRUE);
  if (sf_writef_float(handle.get(), samples.data(), static_cast<sf_count_t>(samples.size())) !=
      static_cast<sf_count_t>(samples.size()))
    throw std::runtime_error("cannot write '" + file.string() + "': " + sf_strerror(handle.get()));
}

}  // namespace reef::protocol::audio

#include "backend/protocol/audio/audio_file.h"

#include <samplerate.h>
#include <sndfile.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

namespace reef::protocol::audio {

namespace {

using SndFile = std::unique_ptr<SNDFILE, int (*)(SNDFILE*)>;

// Audio held in memory, read through libsndfile's virtual I/O.
struct MemoryFile {
  const std::string& bytes;
  sf_count_t at = 0;
};

sf_count_t memoryLength(void* user) { return static_cast<sf_count_t>(static_cast<MemoryFile*>(user)->bytes.size()); }

sf_count_t memorySeek(sf_count_t offset, int whence, void* user) {
  auto* m = static_cast<MemoryFile*>(user);
  const sf_count_t size = memoryLength(user);
  const sf_count_t to = whence == SEEK_SET ? offset : whence == SEEK_CUR ? m->at + offset : size + offset;
  if (to < 0 || to > size) return -1;
  return m->at = to;
}

sf_count_t memoryRead(void* out, sf_count_t count, void* user) {
  auto* m = static_cast<MemoryFile*>(user);
  const sf_count_t n = std::max<sf_count_t>(0, std::min(count, memoryLength(user) - m->at));
  std::memcpy(out, m->bytes.data() + m->at, static_cast<size_t>(n));
  m->at += n;
  return n;
}

sf_count_t memoryWrite(const void*, sf_count_t, void*) { return 0; }

sf_count_t memoryTell(void* user) { return static_cast<MemoryFile*>(user)->at; }

// Mono samples of an opened file, resampled to `sampleRate` when it is > 0; `name` for errors.
// Read in blocks until the end rather than sized by the header, which an upload can make up.
Audio readOpened(SNDFILE* handle, const SF_INFO& info, const std::string& name, int sampleRate) {
  constexpr sf_count_t kBlock = 65536;
  if (info.channels < 1 || info.channels > 64)
    throw std::runtime_error("cannot read " + name + ": " + std::to_string(info.channels) + " channels (at most 64)");
  std::vector<float> interleaved(static_cast<size_t>(kBlock) * static_cast<size_t>(info.channels));
  Audio audio;
  audio.sampleRate = info.samplerate;
  for (;;) {
    const sf_count_t read = sf_readf_float(handle, interleaved.data(), kBlock);
    if (read < 0) throw std::runtime_error("cannot read " + name + ": " + sf_strerror(handle));
    for (sf_count_t i = 0; i < read; ++i) {
      float sum = 0;
      for (int c = 0; c < info.channels; ++c) sum += interleaved[static_cast<size_t>(i * info.channels + c)];
      audio.samples.push_back(sum / static_cast<float>(info.channels));
    }
    if (read < kBlock) break;
  }
  if (sampleRate > 0 && sampleRate != audio.sampleRate) {
    audio.samples = resample(audio.samples, audio.sampleRate, sampleRate);
    audio.sampleRate = sampleRate;
  }
  return audio;
}

}  // namespace

Audio readAudio(const std::filesystem::path& file, int sampleRate) {
  SF_INFO info{};
  SndFile handle(sf_open(file.c_str(), SFM_READ, &info), sf_close);
  if (!handle)
    throw std::runtime_error("cannot read audio file '" + file.string() + "': " + sf_strerror(nullptr) +
                             " (expected WAV, FLAC or OGG)");
  return readOpened(handle.get(), info, "audio file '" + file.string() + "'", sampleRate);
}

Audio decodeAudio(const std::string& bytes, int sampleRate) {
  SF_VIRTUAL_IO io{memoryLength, memorySeek, memoryRead, memoryWrite, memoryTell};
  MemoryFile memory{bytes};
  SF_INFO info{};
  SndFile handle(sf_open_virtual(&io, SFM_READ, &info, &memory), sf_close);
  if (!handle)
    throw std::runtime_error(std::string("the data is not audio libsndfile reads (") + sf_strerror(nullptr) +
                             "; expected WAV, FLAC, OGG or MP3)");
  Audio audio = readOpened(handle.get(), info, "the audio", sampleRate);
  if (audio.samples.empty()) throw std::runtime_error("the audio holds no samples");
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

#include "backend/protocol/audio/audio_file.h"

#include <samplerate.h>
#include <sndfile.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>

namespace reef::protocol::audio {

namespace {

using SndFile = std::unique_ptr<SNDFILE, int (*)(SNDFILE*)>;

// Audio held in memory, read (from `in`) or written (to `out`) through libsndfile's virtual I/O.
struct MemoryFile {
  const std::string* in = nullptr;
  std::string* out = nullptr;
  sf_count_t at = 0;
  const std::string& bytes() const { return out ? *out : *in; }
};

sf_count_t memoryLength(void* user) { return static_cast<sf_count_t>(static_cast<MemoryFile*>(user)->bytes().size()); }

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
  std::memcpy(out, m->bytes().data() + m->at, static_cast<size_t>(n));
  m->at += n;
  return n;
}

sf_count_t memoryWrite(const void* data, sf_count_t count, void* user) {
  auto* m = static_cast<MemoryFile*>(user);
  if (!m->out) return 0;
  const auto end = static_cast<size_t>(m->at + count);
  if (m->out->size() < end) m->out->resize(end);
  std::memcpy(m->out->data() + m->at, data, static_cast<size_t>(count));
  m->at += count;
  return count;
}

sf_count_t memoryTell(void* user) { return static_cast<MemoryFile*>(user)->at; }

// Every 16-bit writer's conversion, so that a file written, encoded or streamed holds the same
// samples (libsndfile's own rounds x * 32768 - 0.5, biased by half a step).
std::vector<int16_t> toPcm16(const std::vector<float>& samples) {
  std::vector<int16_t> out(samples.size());
  for (size_t i = 0; i < samples.size(); ++i)
    out[i] = std::isnan(samples[i]) ? int16_t{0}
                                    : static_cast<int16_t>(std::lrint(std::clamp(samples[i], -1.0f, 1.0f) * 32767.0f));
  return out;
}

void writeShorts(SNDFILE* handle, const std::vector<float>& samples, const std::string& what) {
  const std::vector<int16_t> pcm = toPcm16(samples);
  if (sf_writef_short(handle, pcm.data(), static_cast<sf_count_t>(pcm.size())) != static_cast<sf_count_t>(pcm.size()))
    throw std::runtime_error("cannot write " + what + ": " + sf_strerror(handle));
}

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
  MemoryFile memory{&bytes};
  SF_INFO info{};
  SndFile handle(sf_open_virtual(&io, SFM_READ, &info, &memory), sf_close);
  if (!handle)
    throw std::runtime_error(std::string("the data is not audio libsndfile reads (") + sf_strerror(nullptr) +
                             "; expected WAV, FLAC, OGG or MP3)");
  Audio audio = readOpened(handle.get(), info, "the audio", sampleRate);
  if (audio.samples.empty()) throw std::runtime_error("the audio holds no samples");
  return audio;
}

std::string encodeAudio(const std::vector<float>& samples, int sampleRate, const std::string& format) {
  SF_INFO info{};
  info.samplerate = sampleRate;
  info.channels = 1;
  if (format == "wav")
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  else if (format == "flac")
    info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16;
  else
    throw std::invalid_argument("encodeAudio: format '" + format + "' is not wav or flac");
  std::string bytes;
  SF_VIRTUAL_IO io{memoryLength, memorySeek, memoryRead, memoryWrite, memoryTell};
  MemoryFile memory{nullptr, &bytes};
  {
    SndFile handle(sf_open_virtual(&io, SFM_WRITE, &info, &memory), sf_close);
    if (!handle) throw std::runtime_error("cannot encode " + format + ": " + sf_strerror(nullptr));
    writeShorts(handle.get(), samples, format);
  }  // closed: the header now holds the sizes
  return bytes;
}

std::string pcm16(const std::vector<float>& samples) {
  std::string out;
  out.reserve(samples.size() * 2);
  for (const int16_t v : toPcm16(samples)) {
    out.push_back(static_cast<char>(v & 0xff));
    out.push_back(static_cast<char>((v >> 8) & 0xff));
  }
  return out;
}

std::string wavStreamHeader(int sampleRate) {
  std::string h;
  const auto put = [&h](uint32_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) h.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  h += "RIFF";
  put(0xffffffffu, 4);  // sizes not known while streaming: the largest, as streaming servers send
  h += "WAVEfmt ";
  put(16, 4);
  put(1, 2);  // PCM
  put(1, 2);  // mono
  put(static_cast<uint32_t>(sampleRate), 4);
  put(static_cast<uint32_t>(sampleRate) * 2, 4);  // bytes per second
  put(2, 2);                                      // bytes per frame
  put(16, 2);                                     // bits per sample
  h += "data";
  put(0xffffffffu, 4);
  return h;
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
  writeShorts(handle.get(), samples, "'" + file.string() + "'");
}

}  // namespace reef::protocol::audio

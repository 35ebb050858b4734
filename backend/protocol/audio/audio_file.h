#pragma once
// Audio files for the speech collections and the studio: any format libsndfile reads (WAV, FLAC,
// OGG), mixed down to mono float samples in [-1, 1] and resampled with libsamplerate when the
// caller asks for a rate; WAV written as 16-bit PCM.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace reef::protocol::audio {

struct Audio {
  std::vector<float> samples;  // mono
  int sampleRate = 0;
  double seconds() const { return sampleRate > 0 ? static_cast<double>(samples.size()) / sampleRate : 0; }
};

// Throws naming the file when it is missing or not audio libsndfile understands.
// `sampleRate` > 0: resampled to that rate when the file has another.
Audio readAudio(const std::filesystem::path& file, int sampleRate = 0);
// The same from a file's bytes (an upload); throws std::runtime_error when they are not audio or
// hold no samples.
Audio decodeAudio(const std::string& bytes, int sampleRate = 0);
// Sinc resampling (libsamplerate). Best: 97 % of the band kept, 145 dB; Medium: 90 %, 121 dB (the
// order of sox's default) at a fifth of the cost, for bulk work such as building a corpus.
enum class ResampleQuality { Best, Medium };
std::vector<float> resample(const std::vector<float>& samples, int fromRate, int toRate,
                            ResampleQuality quality = ResampleQuality::Best);
// A whole file's bytes, "wav" or "flac" (16-bit); samples outside [-1, 1] are clipped.
std::string encodeAudio(const std::vector<float>& samples, int sampleRate, const std::string& format);
// Samples as 16-bit signed little-endian bytes, clipped to [-1, 1]: raw PCM, or a WAV's data.
std::string pcm16(const std::vector<float>& samples);
// The 44-byte header of a mono 16-bit WAV whose length is not known yet (a stream): both sizes
// are 0xFFFFFFFF, read as "to the end" by libsndfile, ffmpeg and browsers.
std::string wavStreamHeader(int sampleRate);
// 16-bit PCM WAV; samples outside [-1, 1] are clipped.
void writeWav(const std::filesystem::path& file, const std::vector<float>& samples, int sampleRate);

}  // namespace reef::protocol::audio

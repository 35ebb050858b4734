#include "backend/collections/asr/speech_dataset.h"

#include "backend/protocol/audio/audio_file.h"

#include <algorithm>
#include <stdexcept>

namespace reef::asr {

SpeechDataset::SpeechDataset(std::vector<protocol::audio::ManifestEntry> entries,
                             std::shared_ptr<const AsrVocabulary> vocabulary, int sampleRate, double maxSeconds)
    : vocabulary_(std::move(vocabulary)), sampleRate_(sampleRate) {
  for (auto& e : entries) {
    if (e.duration > maxSeconds) {
      ++skipped_;
      continue;
    }
    targets_.push_back(vocabulary_->encode(e.text));
    entries_.push_back(std::move(e));
  }
}

std::vector<double> SpeechDataset::lengths() const {
  std::vector<double> out;
  for (const auto& e : entries_) out.push_back(e.duration);
  return out;
}

double SpeechDataset::totalSeconds() const {
  double sum = 0;
  for (const auto& e : entries_) sum += e.duration;
  return sum;
}

engine::Batch SpeechDataset::get(const std::vector<int64_t>& indices) const {
  std::vector<std::vector<float>> waves;
  int64_t longest = 1, longestTarget = 1, labels = 0;
  for (const auto i : indices) {
    waves.push_back(protocol::audio::readAudio(entries_.at(static_cast<size_t>(i)).audio, sampleRate_).samples);
    longest = std::max<int64_t>(longest, static_cast<int64_t>(waves.back().size()));
    const auto& t = targets_[static_cast<size_t>(i)];
    longestTarget = std::max<int64_t>(longestTarget, static_cast<int64_t>(t.size()));
    labels += static_cast<int64_t>(t.size());
  }
  const auto n = static_cast<int64_t>(indices.size());
  auto audio = torch::zeros({n, longest});
  auto audioLength = torch::empty({n}, torch::kInt64);
  auto targets = torch::zeros({n, longestTarget}, torch::kInt64);
  auto targetLength = torch::empty({n}, torch::kInt64);
  auto index = torch::empty({n}, torch::kInt64);
  for (int64_t b = 0; b < n; ++b) {
    const auto& w = waves[static_cast<size_t>(b)];
    std::copy(w.begin(), w.end(), audio[b].data_ptr<float>());
    audioLength[b] = static_cast<int64_t>(w.size());
    const auto& t = targets_[static_cast<size_t>(indices[static_cast<size_t>(b)])];
    std::copy(t.begin(), t.end(), targets[b].data_ptr<int64_t>());
    targetLength[b] = static_cast<int64_t>(t.size());
    index[b] = indices[static_cast<size_t>(b)];
  }
  engine::Batch batch;
  batch.fields = {{"audio", audio},
                  {"audio_length", audioLength},
                  {"targets", targets},
                  {"target_length", targetLength},
                  {"index", index}};
  batch.size = n;
  batch.tokens = labels;
  return batch;
}

}  // namespace reef::asr

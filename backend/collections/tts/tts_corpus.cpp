#include "backend/collections/tts/tts_corpus.h"

#include "backend/collections/asr/ctc_alignment.h"
#include "backend/collections/tts/pitch_tracking.h"
#include "backend/protocol/audio/audio_file.h"

#include <cmath>
#include <iostream>
#include <stdexcept>

namespace reef::tts {

std::vector<int64_t> melDurations(const std::vector<int64_t>& alignerDurations, int64_t subsampling,
                                  int64_t melFrames) {
  std::vector<int64_t> out;
  int64_t total = 0;
  for (const auto d : alignerDurations) {
    out.push_back(d * subsampling);
    total += d * subsampling;
  }
  // The aligner's frames cover ceil(F / s) * s mel frames: take the surplus from the end.
  for (auto i = static_cast<int64_t>(out.size()) - 1; i >= 0 && total != melFrames; --i) {
    auto& d = out[static_cast<size_t>(i)];
    const int64_t change = total > melFrames ? -std::min(d - 1, total - melFrames) : melFrames - total;
    d += change;
    total += change;
  }
  if (total != melFrames)
    throw std::invalid_argument("melDurations: " + std::to_string(alignerDurations.size()) + " labels cannot share " +
                                std::to_string(melFrames) + " frames");
  return out;
}

engine::Batch TtsDataset::get(const std::vector<int64_t>& indices) const {
  const auto n = static_cast<int64_t>(indices.size());
  int64_t longestText = 1, longestMel = 1;
  for (const auto i : indices) {
    longestText = std::max<int64_t>(longestText, static_cast<int64_t>(utterance(i).text.size()));
    longestMel = std::max<int64_t>(longestMel, utterance(i).mel.size(0));
  }
  const int64_t mels = utterance(indices.front()).mel.size(1);
  auto text = torch::zeros({n, longestText}, torch::kInt64), durations = torch::zeros({n, longestText}, torch::kInt64);
  auto pitch = torch::zeros({n, longestText}), mel = torch::zeros({n, longestMel, mels});
  auto textLength = torch::empty({n}, torch::kInt64), melLength = torch::empty({n}, torch::kInt64);
  auto index = torch::empty({n}, torch::kInt64);
  int64_t characters = 0;
  for (int64_t b = 0; b < n; ++b) {
    const auto& u = utterance(indices[static_cast<size_t>(b)]);
    const auto t = static_cast<int64_t>(u.text.size());
    text[b].narrow(0, 0, t).copy_(torch::tensor(u.text, torch::kInt64));
    durations[b].narrow(0, 0, t).copy_(torch::tensor(u.durations, torch::kInt64));
    pitch[b].narrow(0, 0, t).copy_(torch::tensor(u.pitch));
    mel[b].narrow(0, 0, u.mel.size(0)).copy_(u.mel);
    textLength[b] = t;
    melLength[b] = u.mel.size(0);
    index[b] = indices[static_cast<size_t>(b)];
    characters += t;
  }
  engine::Batch batch;
  batch.fields = {{"text", text}, {"text_length", textLength}, {"durations", durations}, {"pitch", pitch},
                  {"mel", mel},   {"mel_length", melLength},   {"index", index}};
  batch.size = n;
  batch.tokens = characters;
  return batch;
}

std::vector<double> TtsDataset::lengths() const {
  std::vector<double> out;
  for (const auto& u : utterances_) out.push_back(static_cast<double>(u.mel.size(0)));
  return out;
}

namespace {

std::vector<TtsUtterance> alignManifest(const std::filesystem::path& manifest, asr::AsrModel& aligner,
                                        int64_t& skipped) {
  torch::NoGradGuard noGrad;
  aligner.module().eval();
  const auto& features = aligner.features();
  PitchOptions pitchOptions;
  pitchOptions.sampleRate = aligner.sampleRate();
  pitchOptions.hop = features.options().hop;
  std::vector<TtsUtterance> out;
  for (auto& entry : protocol::audio::readManifest(manifest)) {
    TtsUtterance u;
    const auto samples = torch::tensor(protocol::audio::readAudio(entry.audio, aligner.sampleRate()).samples);
    u.text = aligner.vocabulary().encode(entry.text);
    if (u.text.empty()) {
      ++skipped;  // nothing the alphabet can spell
      continue;
    }
    u.mel = features.logMel(samples);
    const auto [lp, frames] = aligner.logProbs(samples.unsqueeze(0).to(aligner.device()),
                                               torch::tensor({samples.size(0)}, torch::kInt64).to(aligner.device()));
    try {
      const auto labelFrames = asr::ctcLabelDurations(lp[0].cpu(), frames[0].item<int64_t>(), u.text);
      u.durations = melDurations(labelFrames, aligner.subsampling(), u.mel.size(0));
    } catch (const std::invalid_argument&) {
      ++skipped;  // spoken too fast for the aligner's frame rate: not a usable target
      continue;
    }
    const auto f0 = trackPitch(samples, pitchOptions);
    const float* hz = f0.data_ptr<float>();
    int64_t frame = 0;
    for (const auto d : u.durations) {
      double sum = 0;
      int64_t voiced = 0;
      for (int64_t i = frame; i < frame + d && i < f0.size(0); ++i)
        if (hz[i] > 0) sum += hz[i], ++voiced;
      u.pitchHz.push_back(voiced > 0 ? static_cast<float>(sum / static_cast<double>(voiced)) : 0.f);
      frame += d;
    }
    u.entry = std::move(entry);
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace

TtsSplits prepareTtsSplits(const std::filesystem::path& train, const std::filesystem::path& val,
                           const std::filesystem::path& test, asr::AsrModel& aligner) {
  TtsSplits splits;
  std::cerr << "tts: aligning " << train.string() << ", " << val.string() << " and " << test.string()
            << " with the ASR model\n";
  auto trainSet = alignManifest(train, aligner, splits.skipped);
  auto valSet = alignManifest(val, aligner, splits.skipped);
  auto testSet = alignManifest(test, aligner, splits.skipped);
  double sum = 0, squares = 0;
  int64_t count = 0;
  for (const auto& u : trainSet)
    for (const float p : u.pitchHz)
      if (p > 0) sum += p, squares += static_cast<double>(p) * p, ++count;
  if (count > 1) {
    splits.pitch.mean = sum / static_cast<double>(count);
    splits.pitch.deviation =
        std::max(1.0, std::sqrt(squares / static_cast<double>(count) - splits.pitch.mean * splits.pitch.mean));
  }
  for (auto* set : {&trainSet, &valSet, &testSet})
    for (auto& u : *set)
      for (const float p : u.pitchHz)
        u.pitch.push_back(p > 0 ? static_cast<float>((p - splits.pitch.mean) / splits.pitch.deviation) : 0.f);
  if (splits.skipped > 0)
    std::cerr << "tts: " << splits.skipped << " utterances left out: no character of the alphabet, or more characters "
              << "than the aligner's frames (spoken too fast)\n";
  splits.train = std::make_shared<TtsDataset>(std::move(trainSet));
  splits.val = std::make_shared<TtsDataset>(std::move(valSet));
  splits.test = std::make_shared<TtsDataset>(std::move(testSet));
  return splits;
}

}  // namespace reef::tts

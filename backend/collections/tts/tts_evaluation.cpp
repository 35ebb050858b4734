#include "backend/collections/tts/tts_evaluation.h"

#include "backend/engine/core/json_artifact.h"
#include "backend/protocol/audio/audio_file.h"

#include <chrono>

namespace reef::tts {

TtsEvaluation::TtsEvaluation(TtsModel& model, std::shared_ptr<TtsDataset> dataset, int64_t judged)
    : model_(model), dataset_(std::move(dataset)), judged_(judged) {}

void TtsEvaluation::update(const engine::Batch& batch) {
  const auto l = model_.losses(batch);
  mel_ += l.mel.item<double>();
  duration_ += l.duration.item<double>();
  pitch_ += l.pitch.item<double>();
  ++batches_;
  auto* judge = model_.judge();
  if (!judge) return;
  const auto index = batch.at("index").to(torch::kCPU);
  for (int64_t b = 0; b < batch.size && static_cast<int64_t>(samples_.size()) < judged_; ++b) {
    const auto& u = dataset_->utterance(index[b].item<int64_t>());
    const auto start = std::chrono::steady_clock::now();
    Sample s{index[b].item<int64_t>(), "", {}, model_.synthesize(u.entry.text)};
    synthesisSeconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    audioSeconds_ += static_cast<double>(s.audio.size()) / model_.sampleRate();
    s.hypothesis = judge->transcribe(s.audio);
    const std::string reference = judge->vocabulary().normalise(u.entry.text);
    s.words = protocol::audio::wordErrors(reference, s.hypothesis);
    words_ += s.words;
    if (judge->decodesWithBeam())
      greedyWords_ += protocol::audio::wordErrors(reference, judge->transcribe(s.audio, true));
    samples_.push_back(std::move(s));
  }
}

engine::MetricMap TtsEvaluation::finish() {
  const double n = static_cast<double>(std::max<int64_t>(1, batches_));
  engine::MetricMap m{{"mel_l1", mel_ / n},
                      {"duration_loss", duration_ / n},
                      {"pitch_loss", pitch_ / n},
                      {"loss", (mel_ + 0.1 * duration_ + 0.1 * pitch_) / n}};
  if (!samples_.empty()) {
    m["intelligibility_wer"] = words_.rate();
    if (model_.judge()->decodesWithBeam()) m["intelligibility_wer_greedy"] = greedyWords_.rate();
    m["synthesis_rtf"] = synthesisSeconds_ > 0 ? audioSeconds_ / synthesisSeconds_ : 0;
  }
  return m;
}

std::vector<engine::Artifact> TtsEvaluation::writeArtifacts(const std::filesystem::path& dir,
                                                            const std::string& prefix) {
  if (samples_.empty()) return {};
  Json rows = Json::array();
  for (size_t i = 0; i < samples_.size(); ++i) {
    const auto& s = samples_[i];
    const auto& u = dataset_->utterance(s.index);
    const auto wav = dir / (prefix + "tts_" + std::to_string(i) + ".wav");
    protocol::audio::writeWav(wav, s.audio, model_.sampleRate());
    rows.push_back({{"audio", std::filesystem::absolute(wav).string()},
                    {"text", u.entry.text},
                    {"reference_audio", u.entry.audio.string()},
                    {"hypothesis", s.hypothesis},
                    {"wer", s.words.rate()}});
  }
  return {engine::writeJsonArtifact(dir / (prefix + "tts_samples.json"), "tts_samples", rows)};
}

}  // namespace reef::tts

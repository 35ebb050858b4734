#include "backend/collections/asr/asr_evaluation.h"

#include "backend/engine/core/json_artifact.h"

#include <algorithm>

namespace reef::asr {

AsrEvaluation::AsrEvaluation(AsrModel& model, std::shared_ptr<SpeechDataset> dataset, size_t keptPredictions)
    : model_(model), dataset_(std::move(dataset)), kept_(keptPredictions) {}

void AsrEvaluation::update(const engine::Batch& batch) {
  const auto start = std::chrono::steady_clock::now();
  auto [lp, frames] = model_.logProbs(batch.at("audio"), batch.at("audio_length"));
  const auto cpuLp = lp.cpu();
  const auto cpuFrames = frames.cpu();
  std::vector<std::string> hypotheses;
  for (int64_t b = 0; b < batch.size; ++b) hypotheses.push_back(model_.decode(cpuLp[b], cpuFrames[b].item<int64_t>()));
  computeSeconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // The loss as in training: per utterance, divided by its label count.
  const auto labels = batch.at("target_length").to(torch::kCPU);
  const auto perUtterance = torch::ctc_loss(lp.transpose(0, 1), batch.at("targets"), frames, batch.at("target_length"),
                                            0, at::Reduction::None, true)
                                .cpu();
  lossSum_ += (perUtterance / labels.clamp_min(1).to(torch::kFloat32)).sum().item<double>();
  const auto index = batch.at("index").to(torch::kCPU);
  const auto audioLength = batch.at("audio_length").to(torch::kCPU);
  for (int64_t b = 0; b < batch.size; ++b) {
    const auto& entry = dataset_->entry(index[b].item<int64_t>());
    const std::string reference = model_.vocabulary().normalise(entry.text);
    Prediction p{index[b].item<int64_t>(), reference, hypotheses[static_cast<size_t>(b)],
                 protocol::audio::wordErrors(reference, hypotheses[static_cast<size_t>(b)]),
                 protocol::audio::characterErrors(reference, hypotheses[static_cast<size_t>(b)])};
    words_ += p.words;
    if (model_.decodesWithBeam())
      greedyWords_ +=
          protocol::audio::wordErrors(reference, model_.decodeGreedy(cpuLp[b], cpuFrames[b].item<int64_t>()));
    characters_ += p.characters;
    if (entry.extra.contains("kind") && entry.extra["kind"].is_string())
      wordsByKind_[entry.extra["kind"].get<std::string>()] += p.words;
    audioSeconds_ += static_cast<double>(audioLength[b].item<int64_t>()) / model_.sampleRate();
    predictions_.push_back(std::move(p));
  }
  utterances_ += batch.size;
}

engine::MetricMap AsrEvaluation::finish() {
  engine::MetricMap m{{"loss", lossSum_ / static_cast<double>(std::max<int64_t>(1, utterances_))},
                      {"wer", words_.rate()},
                      {"cer", characters_.rate()},
                      {"rtf", computeSeconds_ > 0 ? audioSeconds_ / computeSeconds_ : 0}};
  for (const auto& [kind, counts] : wordsByKind_) m["wer_" + kind] = counts.rate();
  if (model_.decodesWithBeam()) m["wer_greedy"] = greedyWords_.rate();
  return m;
}

std::vector<engine::Artifact> AsrEvaluation::writeArtifacts(const std::filesystem::path& dir,
                                                            const std::string& prefix) {
  std::vector<const Prediction*> order;
  for (const auto& p : predictions_) order.push_back(&p);
  std::stable_sort(order.begin(), order.end(),
                   [](const Prediction* a, const Prediction* b) { return a->words.rate() > b->words.rate(); });
  if (order.size() > kept_) order.resize(kept_);
  Json rows = Json::array();
  for (const auto* p : order) {
    const auto& e = dataset_->entry(p->index);
    rows.push_back({{"audio", e.audio.string()},
                    {"reference", p->reference},
                    {"hypothesis", p->hypothesis},
                    {"wer", p->words.rate()},
                    {"cer", p->characters.rate()},
                    {"speaker", e.speaker},
                    {"duration", e.duration}});
  }
  return {engine::writeJsonArtifact(dir / (prefix + "asr_predictions.json"), "asr_predictions", rows)};
}

}  // namespace reef::asr

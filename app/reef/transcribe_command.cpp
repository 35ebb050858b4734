// `reef transcribe RUN_OR_BUNDLE FILE...` and `--manifest M.jsonl`: speech to text with a trained
// ASR model. Files print their text; a manifest is scored (WER, CER, real-time factor) against
// its transcripts, as `reef eval` scores the spec's splits.
#include "app/reef/commands.h"
#include "backend/collections/asr/asr_evaluation.h"
#include "backend/collections/asr/asr_model.h"
#include "backend/collections/collections.h"
#include "backend/engine/trainer/loaded_run.h"
#include "backend/protocol/audio/audio_file.h"

#include <chrono>
#include <cstdio>
#include <numeric>

namespace reef::app {

namespace {

struct TranscribeOptions {
  std::string target, checkpoint = "best", manifest, decoder;
  std::vector<std::string> files, sets;
  int beamWidth = 0;
  double lmWeight = -1, wordBonus = 1e9;
  bool json = false;
};

int transcribeCommand(const TranscribeOptions& o) {
  if (o.files.empty() && o.manifest.empty())
    throw CLI::ValidationError("reef transcribe", "give audio files, or --manifest with a speech manifest to score");
  std::vector<std::string> sets = o.sets;
  if (!o.decoder.empty()) sets.push_back("model.decoder=" + o.decoder);
  if (o.beamWidth > 0) sets.push_back("model.beam_width=" + std::to_string(o.beamWidth));
  if (o.lmWeight >= 0) sets.push_back("model.lm_weight=" + std::to_string(o.lmWeight));
  if (o.wordBonus < 1e9) sets.push_back("model.word_bonus=" + std::to_string(o.wordBonus));
  engine::LoadedRun loaded = engine::loadRun(collections::builtinRegistry(), o.target, o.checkpoint, sets);
  auto& model = engine::modelAs<asr::AsrModel>(loaded, "transcribe", "an asr model", o.target);
  model.module().eval();
  torch::NoGradGuard noGrad;
  Json out = {{"files", Json::array()}};
  for (const auto& file : o.files) {
    const auto audio = protocol::audio::readAudio(file, model.sampleRate());
    const auto start = std::chrono::steady_clock::now();
    const engine::Transcription transcript = model.transcribeTimed(audio.samples);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Json words = Json::array();
    for (const auto& w : transcript.words) words.push_back({{"word", w.word}, {"start", w.start}, {"end", w.end}});
    out["files"].push_back({{"file", file},
                            {"text", transcript.text},
                            {"words", words},
                            {"audio_seconds", audio.seconds()},
                            {"rtf", audio.seconds() / seconds}});
    if (!o.json) std::printf("%s\t%s\n", file.c_str(), transcript.text.c_str());
  }
  if (!o.manifest.empty()) {
    auto dataset = model.manifestDataset(o.manifest);
    asr::AsrEvaluation evaluation(model, dataset);
    std::vector<int64_t> order(static_cast<size_t>(dataset->size()));
    std::iota(order.begin(), order.end(), 0);
    // Similar lengths together, as in training, so that padding does not count as compute.
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return dataset->entry(a).duration < dataset->entry(b).duration; });
    constexpr size_t kBatch = 16;
    for (size_t i = 0; i < order.size(); i += kBatch) {
      const std::vector<int64_t> indices(
          order.begin() + static_cast<std::ptrdiff_t>(i),
          order.begin() + static_cast<std::ptrdiff_t>(std::min(order.size(), i + kBatch)));
      evaluation.update(dataset->get(indices).to(loaded.device));
    }
    const auto metrics = evaluation.finish();
    out["manifest"] = {
        {"file", o.manifest}, {"utterances", dataset->size()}, {"skipped", dataset->skipped()}, {"metrics", metrics}};
    if (!o.json) {
      std::printf("%s: %lld utterances", o.manifest.c_str(), static_cast<long long>(dataset->size()));
      for (const auto& [key, value] : metrics) std::printf("  %s %.4f", key.c_str(), value);
      std::printf("\n");
    }
  }
  if (o.json) std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace

void addTranscribeCommand(CLI::App& app, int& status) {
  auto o = std::make_shared<TranscribeOptions>();
  auto* cmd =
      app.add_subcommand("transcribe", "Speech to text with a trained asr model (files, or a manifest to score)");
  cmd->add_option("target", o->target, "Run directory, a checkpoints/step-<N> folder of one, or a .reef bundle")
      ->required();
  cmd->add_option("files", o->files, "Audio files (WAV, FLAC, OGG; resampled to the model's rate)");
  cmd->add_option("--manifest", o->manifest, "A speech manifest (JSON lines) to transcribe and score: WER, CER, RTF");
  cmd->add_option("--decoder", o->decoder, "greedy, beam or beam_lm (default: the spec's model.decoder)")
      ->check(CLI::IsMember({"greedy", "beam", "beam_lm"}));
  cmd->add_option("--beam-width", o->beamWidth, "Prefixes kept by the beam search");
  cmd->add_option("--lm-weight", o->lmWeight, "beam_lm: weight of the language model");
  cmd->add_option("--word-bonus", o->wordBonus, "beam_lm: score added per word");
  cmd->add_option("--set", o->sets,
                  "Override a spec value, e.g. --set model.unknown_penalty=4 or --set data.lm_text=FILE (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--checkpoint", o->checkpoint, "best, last, or a step number");
  cmd->add_flag("--json", o->json, "Print the results as JSON");
  cmd->callback([o, &status] { status = transcribeCommand(*o); });
}

}  // namespace reef::app

#pragma once
// Small speech corpora for the tests that train speech models: the first lines of a prepared
// manifest (scripts/prepare-data.sh), so that a test trains in seconds, not on the whole corpus.
#include "backend/protocol/audio/speech_manifest.h"
#include "backend/protocol/audio/word_errors.h"
#include "backend/protocol/json.h"

#include <QString>
#include <QStringList>
#include <QtGlobal>

#include <filesystem>
#include <fstream>
#include <string>

namespace reef::test {

// Where scripts/prepare-data.sh put the datasets: $REEF_DATA, else the checkout's data/.
inline std::filesystem::path dataRoot() {
  return qEnvironmentVariableIsEmpty("REEF_DATA")
             ? std::filesystem::path(REEF_SOURCE_DIR) / "data"
             : std::filesystem::path(qEnvironmentVariable("REEF_DATA").toStdString());
}

// The first `count` lines of `manifest` whose kind is `kind` (any kind when empty), with absolute
// audio paths, written to `out`.
inline void subset(const std::filesystem::path& manifest, const std::string& kind, size_t count,
                   const std::filesystem::path& out) {
  std::ofstream o(out);
  size_t kept = 0;
  for (const auto& e : protocol::audio::readManifest(manifest)) {
    if (!kind.empty() && e.extra.value("kind", "") != kind) continue;
    o << Json{{"audio_filepath", e.audio.string()}, {"duration", e.duration}, {"text", e.text}, {"speaker", e.speaker}}
             .dump()
      << "\n";
    if (++kept == count) break;
  }
}

// A corpus of digit strings ("dial zero one five zero") in `dir`: asr_train.jsonl (1,200
// utterances), asr_val.jsonl (40) and asr_test.jsonl (40 from the test split, said in voices no
// training utterance has).
inline void writeDigitCorpus(const std::filesystem::path& dir) {
  const std::filesystem::path speech = dataRoot() / "speech/asr";
  subset(speech / "train.jsonl", "digits", 1200, dir / "asr_train.jsonl");
  subset(speech / "val.jsonl", "digits", 40, dir / "asr_val.jsonl");
  subset(speech / "test.jsonl", "digits", 40, dir / "asr_test.jsonl");
}

// Where tst_speech_cli trains the digit recognizer, for tst_recording to serve rather than train it
// again (a minute): $REEF_DIGIT_RECOGNIZER, which CTest sets; empty when unset. Once the model has
// passed its WER bar the folder holds `ready`.
inline std::filesystem::path digitRecognizerFixture() {
  return qEnvironmentVariable("REEF_DIGIT_RECOGNIZER").toStdString();
}

// The --set values that make resources/examples/asr/quartznet_chars.yaml a small recognizer of
// writeDigitCorpus(dir)'s digit strings. Trains in about a minute; its beam search with the word
// LM of its transcripts then gets 3.6 % WER on the unheard voices (2026-12-05, one thread).
inline QStringList digitRecognizerSettings(const std::filesystem::path& dir) {
  const auto at = [&](const char* name) { return QString::fromStdString((dir / name).string()); };
  return {"data.train_manifest=" + at("asr_train.jsonl"),
          "data.val_manifest=" + at("asr_val.jsonl"),
          "data.test_manifest=" + at("asr_test.jsonl"),
          "model.channels=96",
          "model.blocks=3",
          "model.epilogue=128",
          "data.batch_size=16",
          "trainer.max_steps=600",
          "trainer.val_interval=200",
          "optim.warmup_steps=30"};
}

// The word errors of each `heard[i]` against `said[i]`, summed (heard may be short: the rest count
// as deleted).
inline protocol::audio::ErrorCounts wordErrorsOf(const std::vector<std::string>& said,
                                                 const std::vector<std::string>& heard) {
  protocol::audio::ErrorCounts errors;
  for (size_t i = 0; i < said.size(); ++i)
    errors += protocol::audio::wordErrors(said[i], i < heard.size() ? heard[i] : "");
  return errors;
}

}  // namespace reef::test

#pragma once
// The rows of the studio's speech view, read from the three places speech comes from: an ASR
// evaluation's predictions, a TTS evaluation's synthesized samples, and a NeMo manifest (the
// dataset itself, reference text only). Each reader throws naming the file and the entry that is
// wrong, so the view can say what to fix.
#include <QString>

#include <optional>
#include <vector>

namespace reef::ui {

struct SpeechSample {
  QString audio;           // what Play plays: the utterance, or the synthesized speech
  QString referenceAudio;  // a TTS sample's recorded sentence; empty when there is none
  QString reference;       // the text spoken (ASR, manifest) or given to speak (TTS)
  std::optional<QString> hypothesis;  // what the ASR model heard; none for dataset samples
  std::optional<double> wer;          // as the engine scored it; none where it did not
  QString speaker;
  double duration = 0;  // seconds; 0 when the source does not say
};

// kind "asr_predictions": [{"audio", "reference", "hypothesis", "wer", "cer", "speaker", "duration"}].
std::vector<SpeechSample> readAsrPredictions(const QString& file);
// kind "tts_samples": [{"audio", "text", "reference_audio"?, "hypothesis"?, "wer"?}].
std::vector<SpeechSample> readTtsSamples(const QString& file);
// A NeMo .jsonl manifest (protocol::audio::readManifest).
std::vector<SpeechSample> readManifestSamples(const QString& file);

}  // namespace reef::ui

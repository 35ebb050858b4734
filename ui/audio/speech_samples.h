#pragma once
// The rows of the studio's speech view, read from the three places speech comes from: a speech
// recognizer's transcriptions, a synthesizer's speech samples, and a NeMo manifest (the
// dataset itself, reference text only). Each reader throws naming the file and the entry that is
// wrong, so the view can say what to fix.
#include <QString>

#include <optional>
#include <vector>

namespace reef::ui {

struct SpeechSample {
  QString audio;                      // what Play plays: the utterance, or the synthesized speech
  QString referenceAudio;             // a synthesized sample's recorded sentence, if any
  QString reference;                  // the text spoken, or given to speak
  std::optional<QString> hypothesis;  // what the recognizer heard; none for dataset samples
  std::optional<double> wer;          // as the engine scored it; none where it did not
  QString speaker;
  double duration = 0;  // seconds; 0 when the source does not say
};

// An artifact the catalog shows in the "transcriptions" view:
// [{"audio", "reference", "hypothesis", "wer", "cer", "speaker", "duration"}].
std::vector<SpeechSample> readTranscriptions(const QString& file);
// An artifact the catalog shows in the "synthesized_speech" view:
// [{"audio", "text", "reference_audio"?, "hypothesis"?, "wer"?}].
std::vector<SpeechSample> readSynthesizedSpeech(const QString& file);
// A NeMo .jsonl manifest (protocol::audio::readManifest).
std::vector<SpeechSample> readManifestSamples(const QString& file);

}  // namespace reef::ui

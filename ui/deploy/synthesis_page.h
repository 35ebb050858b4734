#pragma once
// The Playground for a speech synthesizer: type text, send it to the running server's
// /v1/audio/speech as any client would (JSON in, a streamed WAV out), then see its waveform and
// hear it. How soon the first audio came is shown beside the whole: the server speaks a sentence
// at a time.
#include "ui/deploy/playground_page.h"

#include <QTemporaryDir>

class QDoubleSpinBox;
class QPlainTextEdit;
class QPushButton;

namespace reef::ui {

class AudioPlayer;
class WaveformPlot;

class SynthesisPage : public PlaygroundPage {
  Q_OBJECT
 public:
  SynthesisPage(QNetworkAccessManager* network, QWidget* parent = nullptr);
  // What "Speak" does: synthesize the text box's text.
  void speak();

  QPlainTextEdit* input() const { return input_; }
  QDoubleSpinBox* speed() const { return speed_; }
  QPushButton* speakButton() const { return speak_; }
  WaveformPlot* waveform() const { return waveform_; }
  // The last speech received, a WAV file ("" before any).
  QString lastSpeech() const { return file_; }

 Q_SIGNALS:
  void spoken();

 protected:
  void serverChanged() override;
  void updateControls() override;

 private:
  void received(const QByteArray& wav, Timing timing);

  QTemporaryDir dir_;
  QString file_;
  QPlainTextEdit* input_;
  QDoubleSpinBox* speed_;
  QPushButton* speak_;
  QPushButton* play_;
  WaveformPlot* waveform_;
  AudioPlayer* player_;
};

}  // namespace reef::ui

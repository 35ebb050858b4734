#pragma once
// The Playground for a speech recognizer: record from the microphone or open an audio file (any
// format libsndfile reads, any rate), send it to the running server's /v1/audio/transcriptions as
// any client would (multipart, verbose_json with word times), and show the transcript and each
// word's times.
#include "ui/deploy/playground_page.h"

#include <QElapsedTimer>

class QLabel;
class QProgressBar;
class QPushButton;
class QTableWidget;
class QTextBrowser;
class QTimer;

namespace reef::ui {

class AudioRecorder;

class TranscriptionPage : public PlaygroundPage {
  Q_OBJECT
 public:
  TranscriptionPage(QNetworkAccessManager* network, QWidget* parent = nullptr);
  // What "Open audio..." does after its dialog.
  void transcribeFile(const QString& path);
  // What "Record" does: starts recording, or stops and transcribes what was recorded.
  void toggleRecording();
  // Recordings stop by themselves after this long.
  static constexpr double kMaxRecordingSeconds = 180;

  QTextBrowser* text() const { return text_; }
  QTableWidget* words() const { return words_; }
  QPushButton* recordButton() const { return record_; }
  AudioRecorder* recorder() const { return recorder_; }

 Q_SIGNALS:
  void transcribed();

 protected:
  void serverChanged() override;
  void updateControls() override;

 private:
  // Posts an audio file's bytes; `name` is its file name in the form.
  void transcribe(const QByteArray& audio, const QString& name);
  void stopRecording(bool transcribeIt);
  void connectRecorder();
  void showTranscript(const Json& transcript);

  QPushButton* open_;
  QPushButton* record_;
  QProgressBar* level_;  // the microphone's level while recording
  AudioRecorder* recorder_;
  QTimer* watchdog_ = nullptr;  // while recording: notices when audio stops arriving
  QElapsedTimer lastAudio_;
  bool stalled_ = false;  // said so already
  QLabel* file_;
  QTextBrowser* text_;
  QTableWidget* words_;
};

}  // namespace reef::ui

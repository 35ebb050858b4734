#pragma once
// Records from the system's default audio input (a microphone) for the Playground, through Qt
// Multimedia's QAudioSource: 16 kHz mono where the device takes it, else its own format, mixed
// down to mono float samples either way.
#include <QAudioFormat>
#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QString>

#include <vector>

class QAudioSource;
class QIODevice;

namespace reef::ui {

class AudioRecorder : public QObject {
  Q_OBJECT
 public:
  explicit AudioRecorder(QObject* parent = nullptr);
  ~AudioRecorder() override;
  // Starts recording from the default input; returns why it cannot (no input, the device
  // refused), or "".
  QString start();
  // Stops; what was recorded, mono, at sampleRate(). Empty when nothing was.
  std::vector<float> stop();
  bool recording() const { return source_ != nullptr; }
  double seconds() const;
  int sampleRate() const { return format_.sampleRate(); }
  // The input's description, as the system names it.
  QString device() const { return device_; }
  // The loudest sample of the audio that arrived last, 0..1: a level meter's reading.
  float level() const { return level_; }

 Q_SIGNALS:
  void progressed();  // more audio arrived
  // The device or the sound server failed while recording (emitted queued); stop() still returns
  // what had arrived.
  void failed(const QString& message);

 private:
  // Takes what has arrived; `announce`: emit progressed() when there was some.
  void read(bool announce);
  void release();

  QAudioSource* source_ = nullptr;
  QPointer<QIODevice> io_;  // Qt deletes it itself when the sound server fails
  QAudioFormat format_;
  QString device_;
  QByteArray partial_;  // the bytes of a frame not wholly arrived
  std::vector<float> samples_;
  float level_ = 0;
};

}  // namespace reef::ui

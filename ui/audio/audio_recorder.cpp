#include "ui/audio/audio_recorder.h"

#include "ui/audio/media_backend.h"

#include <QAudioDevice>
#include <QAudioSource>
#include <QMediaDevices>

#include <algorithm>
#include <cmath>

namespace reef::ui {

namespace {

// What Qt's error code means to the person recording, and what to do about it.
QString explain(QAudio::Error error) {
  switch (error) {
    case QAudio::OpenError:
      return AudioRecorder::tr("the device is busy or refused the format; close other programs using it");
    case QAudio::IOError:
      return AudioRecorder::tr("reading from the device failed; check that it is still connected");
    case QAudio::FatalError:
      return AudioRecorder::tr("the sound server (PulseAudio or PipeWire) stopped or cannot be reached");
    default:
      return AudioRecorder::tr("Qt Multimedia error %1").arg(int(error));
  }
}

}  // namespace

AudioRecorder::AudioRecorder(QObject* parent) : QObject(parent) {}

AudioRecorder::~AudioRecorder() { release(); }

QString AudioRecorder::start() {
  if (source_) return {};
  preferFfmpegBackend();
  const QAudioDevice input = QMediaDevices::defaultAudioInput();
  if (input.isNull())
    return tr(
        "No microphone: the system lists no audio input (none connected, or no sound server running). "
        "Connect one, or open a recording instead.");
  // The recognizers' own rate, so that nothing is resampled twice; any other the server resamples.
  format_.setSampleRate(16000);
  format_.setChannelCount(1);
  format_.setSampleFormat(QAudioFormat::Int16);
  if (!input.isFormatSupported(format_)) format_ = input.preferredFormat();
  device_ = input.description();
  samples_.clear();
  partial_.clear();
  level_ = 0;
  source_ = new QAudioSource(input, format_, this);
  io_ = source_->start();
  if (const QAudio::Error error = source_->error(); !io_ || error != QAudio::NoError) {
    release();
    return tr("Cannot record from %1: %2.").arg(device_, explain(error));
  }
  connect(io_, &QIODevice::readyRead, this, [this] { read(true); });
  connect(source_, &QAudioSource::stateChanged, this, [this](QAudio::State state) {
    if (state != QAudio::StoppedState || !source_ || source_->error() == QAudio::NoError) return;
    const QString message = tr("Recording from %1 stopped: %2.").arg(device_, explain(source_->error()));
    // Queued: the receiver stops the recording, which must not happen inside Qt's own failure path.
    QMetaObject::invokeMethod(
        this, [this, message] { Q_EMIT failed(message); }, Qt::QueuedConnection);
  });
  return {};
}

void AudioRecorder::read(bool announce) {
  if (!io_) return;
  partial_ += io_->readAll();
  const int frameBytes = format_.bytesPerFrame(), sampleBytes = format_.bytesPerSample();
  const int channels = format_.channelCount();
  if (frameBytes <= 0) return;
  const qsizetype frames = partial_.size() / frameBytes;
  const char* data = partial_.constData();
  level_ = 0;
  for (qsizetype f = 0; f < frames; ++f) {
    float sum = 0;
    for (int c = 0; c < channels; ++c) sum += format_.normalizedSampleValue(data + f * frameBytes + c * sampleBytes);
    samples_.push_back(sum / channels);
    level_ = std::max(level_, std::abs(samples_.back()));
  }
  partial_.remove(0, frames * frameBytes);
  if (announce && frames > 0) Q_EMIT progressed();
}

std::vector<float> AudioRecorder::stop() {
  read(false);
  release();
  return std::move(samples_);
}

void AudioRecorder::release() {
  if (!source_) return;
  source_->disconnect(this);
  if (io_) io_->disconnect(this);
  source_->stop();
  source_->deleteLater();
  source_ = nullptr;
  io_ = nullptr;
}

double AudioRecorder::seconds() const {
  return format_.sampleRate() > 0 ? static_cast<double>(samples_.size()) / format_.sampleRate() : 0;
}

}  // namespace reef::ui

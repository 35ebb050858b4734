#include "ui/deploy/transcription_page.h"

#include "ui/audio/audio_recorder.h"
#include "ui/audio/recording_upload.h"

#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHttpMultiPart>
#include <QLabel>
#include <QNetworkRequest>
#include <QProgressBar>
#include <QPushButton>
#include <QTableWidget>
#include <QTextBrowser>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace reef::ui {

namespace {

QHttpPart field(const QString& name, const QByteArray& value) {
  QHttpPart part;
  part.setHeader(QNetworkRequest::ContentDispositionHeader, QString("form-data; name=\"%1\"").arg(name));
  part.setBody(value);
  return part;
}

}  // namespace

TranscriptionPage::TranscriptionPage(QNetworkAccessManager* network, QWidget* parent)
    : PlaygroundPage(network, parent) {
  auto* layout = new QVBoxLayout(this);
  auto* top = new QHBoxLayout;
  open_ = new QPushButton(tr("Open audio..."), this);
  record_ = new QPushButton(tr("Record"), this);
  record_->setToolTip(tr("Record from the microphone; click again to stop and transcribe"));
  recorder_ = new AudioRecorder(this);
  file_ = new QLabel(tr("WAV, FLAC, OGG or MP3, any sample rate"), this);
  top->addWidget(open_);
  top->addWidget(record_);
  level_ = new QProgressBar(this);
  level_->setRange(0, 100);
  level_->setTextVisible(false);
  level_->setMaximumWidth(100);
  level_->setToolTip(tr("The microphone's level"));
  level_->hide();
  top->addWidget(level_);
  top->addWidget(file_, 1);
  layout->addLayout(top);
  text_ = new QTextBrowser(this);
  text_->setMaximumHeight(90);
  layout->addWidget(text_);
  words_ = new QTableWidget(0, 3, this);
  words_->setHorizontalHeaderLabels({tr("word"), tr("start (s)"), tr("end (s)")});
  words_->horizontalHeader()->setStretchLastSection(true);
  words_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  layout->addWidget(words_, 1);
  connect(open_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Speech to transcribe"), {},
                                                      tr("Audio (*.wav *.flac *.ogg *.mp3);;All files (*)"));
    if (!path.isEmpty()) transcribeFile(path);
  });
  connect(record_, &QPushButton::clicked, this, &TranscriptionPage::toggleRecording);
  connectRecorder();
  updateControls();
}

void TranscriptionPage::connectRecorder() {
  connect(recorder_, &AudioRecorder::progressed, this, [this] {
    lastAudio_.start();
    file_->setText(tr("Recording from %1: %2 s").arg(recorder_->device()).arg(recorder_->seconds(), 0, 'f', 1));
    level_->setValue(static_cast<int>(std::lround(100 * recorder_->level())));
    if (recorder_->seconds() >= kMaxRecordingSeconds)  // queued: not from inside the recorder's read
      QMetaObject::invokeMethod(
          this,
          [this] {
            if (recorder_->recording()) stopRecording(true);
          },
          Qt::QueuedConnection);
  });
  connect(recorder_, &AudioRecorder::failed, this, [this](const QString& message) {
    if (!recorder_->recording()) return;
    const double seconds = recorder_->seconds();
    stopRecording(false);
    showError(message + " " + tr("The %1 s recorded were not sent.").arg(seconds, 0, 'f', 1));
  });
  // A device unplugged mid-recording stops sending audio without an error: say so.
  watchdog_ = new QTimer(this);
  watchdog_->setInterval(500);
  connect(watchdog_, &QTimer::timeout, this, [this] {
    if (!recorder_->recording() || lastAudio_.elapsed() < 2000 || stalled_) return;
    stalled_ = true;
    showError(tr("No audio has arrived from %1 for 2 s: is it still connected? Stop and transcribe sends what was "
                 "recorded.")
                  .arg(recorder_->device()));
  });
}

void TranscriptionPage::serverChanged() {
  if (recorder_->recording()) {
    stopRecording(false);
    Q_EMIT status(tr("The recording was discarded: the server it was for stopped."));
  }
  text_->clear();
  words_->setRowCount(0);
}

// One request at a time, and no file opened while recording.
void TranscriptionPage::updateControls() {
  const bool recording = recorder_->recording();
  record_->setEnabled(recording || (serving() && !busy()));
  open_->setEnabled(!recording && serving() && !busy());
}

void TranscriptionPage::transcribeFile(const QString& path) {
  if (!serving() || busy() || recorder_->recording()) return;
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) {
    showError(tr("Cannot read %1: %2").arg(path, file.errorString()));
    return;
  }
  file_->setText(QFileInfo(path).fileName());
  transcribe(file.readAll(), QFileInfo(path).fileName());
}

void TranscriptionPage::toggleRecording() {
  if (recorder_->recording()) {
    stopRecording(true);
    return;
  }
  if (!serving() || busy()) return;
  if (const QString why = recorder_->start(); !why.isEmpty()) {
    showError(why);
    return;
  }
  record_->setText(tr("Stop and transcribe"));
  updateControls();
  level_->setValue(0);
  level_->show();
  lastAudio_.start();
  stalled_ = false;
  watchdog_->start();
  file_->setText(tr("Recording from %1...").arg(recorder_->device()));
  Q_EMIT status(tr("Speak now; click Stop and transcribe when done."));
}

void TranscriptionPage::stopRecording(bool transcribeIt) {
  const int rate = recorder_->sampleRate();
  const bool limit = recorder_->seconds() >= kMaxRecordingSeconds;
  const std::vector<float> samples = recorder_->stop();
  watchdog_->stop();
  record_->setText(tr("Record"));
  updateControls();
  level_->hide();
  file_->clear();
  if (!transcribeIt) return;
  const double seconds = rate > 0 ? static_cast<double>(samples.size()) / rate : 0;
  float peak = 0;
  for (float x : samples) peak = std::max(peak, std::abs(x));
  if (seconds < 0.1 || peak < 1e-4f) {
    showError(seconds < 0.1 ? tr("Nothing was recorded from %1.").arg(recorder_->device())
                            : tr("The recording from %1 is silent: is the microphone muted?").arg(recorder_->device()));
    return;
  }
  file_->setText(tr("Recording, %1 s from %2").arg(seconds, 0, 'f', 1).arg(recorder_->device()) +
                 (limit ? tr(" (stopped at the %1-minute limit)").arg(kMaxRecordingSeconds / 60) : QString()));
  try {
    const std::string flac = recordingUpload(samples, rate);
    transcribe(QByteArray(flac.data(), static_cast<qsizetype>(flac.size())), "recording.flac");
  } catch (const std::exception& e) {
    showError(tr("Cannot encode the recording: %1").arg(QString::fromUtf8(e.what())));
  }
}

void TranscriptionPage::transcribe(const QByteArray& bytes, const QString& name) {
  auto* form = new QHttpMultiPart(QHttpMultiPart::FormDataType);
  QHttpPart audio;
  audio.setHeader(QNetworkRequest::ContentDispositionHeader,
                  QString("form-data; name=\"file\"; filename=\"%1\"").arg(name));
  audio.setBody(bytes);
  form->append(audio);
  form->append(field("model", modelId().toUtf8()));
  form->append(field("response_format", "verbose_json"));
  form->append(field("timestamp_granularities[]", "word"));
  text_->clear();
  words_->setRowCount(0);
  Q_EMIT status(tr("Transcribing..."));
  postForm("/v1/audio/transcriptions", form, [this](const QByteArray& answer, Timing) {
    showTranscript(Json::parse(answer.toStdString(), nullptr, false));
  });
}

void TranscriptionPage::showTranscript(const Json& result) {
  if (!result.is_object() || !result.contains("text")) {
    showError(tr("The server's answer has no transcript"));
    return;
  }
  text_->setPlainText(QString::fromStdString(result["text"].get<std::string>()));
  for (const auto& w : result.value("words", Json::array())) {
    const int row = words_->rowCount();
    words_->insertRow(row);
    words_->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(w["word"].get<std::string>())));
    words_->setItem(row, 1, new QTableWidgetItem(QString::number(w["start"].get<double>(), 'f', 2)));
    words_->setItem(row, 2, new QTableWidgetItem(QString::number(w["end"].get<double>(), 'f', 2)));
  }
  Q_EMIT status(
      tr("%1 s of audio, %n word(s)", nullptr, words_->rowCount()).arg(result.value("duration", 0.0), 0, 'f', 1));
  Q_EMIT transcribed();
}

}  // namespace reef::ui

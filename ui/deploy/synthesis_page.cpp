#include "ui/deploy/synthesis_page.h"

#include "backend/protocol/audio/audio_file.h"
#include "backend/protocol/json.h"
#include "ui/audio/audio_player.h"
#include "ui/audio/waveform_plot.h"

#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace reef::ui {

SynthesisPage::SynthesisPage(QNetworkAccessManager* network, QWidget* parent)
    : PlaygroundPage(network, parent), player_(new AudioPlayer(this)) {
  auto* layout = new QVBoxLayout(this);
  input_ = new QPlainTextEdit(this);
  input_->setPlaceholderText(tr("Type what the model should say; it speaks a sentence at a time."));
  input_->setPlainText(tr("Please call John at nine. Then meet me at the bank."));
  input_->setMaximumHeight(110);
  layout->addWidget(input_);
  auto* bar = new QHBoxLayout;
  speed_ = new QDoubleSpinBox(this);
  speed_->setRange(0.25, 4.0);
  speed_->setSingleStep(0.25);
  speed_->setValue(1.0);
  speed_->setSuffix(tr("x"));
  speed_->setToolTip(tr("Speed: above 1 speaks faster (the request's 'speed')"));
  speak_ = new QPushButton(tr("Speak"), this);
  play_ = new QPushButton(tr("Play again"), this);
  play_->setEnabled(false);
  bar->addWidget(new QLabel(tr("Speed:"), this));
  bar->addWidget(speed_);
  bar->addStretch(1);
  bar->addWidget(speak_);
  bar->addWidget(play_);
  layout->addLayout(bar);
  waveform_ = new WaveformPlot(this);
  layout->addWidget(waveform_, 1);
  connect(speak_, &QPushButton::clicked, this, &SynthesisPage::speak);
  connect(play_, &QPushButton::clicked, this, [this] {
    if (const QString why = player_->play(file_); !why.isEmpty()) Q_EMIT status(why.toHtmlEscaped());
  });
  connect(player_, &AudioPlayer::failed, this, &SynthesisPage::showError);
  updateControls();
}

void SynthesisPage::serverChanged() {
  player_->stop();
  waveform_->clear();
  play_->setEnabled(false);
}

void SynthesisPage::updateControls() { speak_->setEnabled(serving() && !busy()); }

void SynthesisPage::speak() {
  if (!serving() || busy()) return;
  const Json body = {{"model", modelId().toStdString()},
                     {"input", input_->toPlainText().toStdString()},
                     {"response_format", "wav"},
                     {"speed", speed_->value()}};
  Q_EMIT status(tr("Speaking..."));
  postJsonForBytes("/v1/audio/speech", body, [this](const QByteArray& wav, Timing timing) { received(wav, timing); });
}

void SynthesisPage::received(const QByteArray& wav, Timing timing) {
  protocol::audio::Audio audio;
  try {
    audio = protocol::audio::decodeAudio(wav.toStdString());
  } catch (const std::exception& e) {
    showError(tr("The server's answer is not audio: %1").arg(e.what()));
    return;
  }
  player_->release();  // the file is about to be replaced
  // Written again with its sizes: players estimate a streamed WAV's length (its header has none).
  file_ = dir_.filePath("speech.wav");
  try {
    protocol::audio::writeWav(file_.toStdString(), audio.samples, audio.sampleRate);
  } catch (const std::exception& e) {
    showError(QString::fromStdString(e.what()));
    return;
  }
  waveform_->setAudio(audio);
  play_->setEnabled(true);
  QString line = tr("%1 s of speech at %2 Hz; first audio after %3 ms, all after %4 ms.")
                     .arg(audio.seconds(), 0, 'f', 2)
                     .arg(audio.sampleRate)
                     .arg(timing.firstMs)
                     .arg(timing.allMs);
  if (const QString why = player_->play(file_); !why.isEmpty()) line += " " + why.toHtmlEscaped();
  Q_EMIT status(line);
  Q_EMIT spoken();
}

}  // namespace reef::ui

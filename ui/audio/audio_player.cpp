#include "ui/audio/audio_player.h"

#include "ui/audio/media_backend.h"

#include <QAudioDevice>
#include <QAudioOutput>
#include <QMediaDevices>
#include <QMediaPlayer>
#include <QUrl>

namespace reef::ui {

AudioPlayer::AudioPlayer(QObject* parent) : QObject(parent) {}

QString AudioPlayer::play(const QString& file) {
  if (!player_) {
    preferFfmpegBackend();
    player_ = new QMediaPlayer(this);
    player_->setAudioOutput(new QAudioOutput(this));
    connect(player_, &QMediaPlayer::playbackStateChanged, this, &AudioPlayer::changed);
    connect(player_, &QMediaPlayer::sourceChanged, this, &AudioPlayer::changed);
    connect(player_, &QMediaPlayer::errorOccurred, this,
            [this](QMediaPlayer::Error, const QString& message) { emit failed(tr("Cannot play: %1").arg(message)); });
  }
  player_->setSource(QUrl::fromLocalFile(file));
  // Qt 6.4's FFmpeg backend crashes rendering to no device (a machine without sound, a CI runner).
  if (QMediaDevices::audioOutputs().isEmpty()) return tr("No audio output device to play %1 on.").arg(file);
  player_->play();
  return {};
}

void AudioPlayer::stop() {
  if (player_) player_->stop();
}

void AudioPlayer::release() {
  if (!player_) return;
  player_->stop();
  player_->setSource(QUrl());
}

bool AudioPlayer::playing(const QString& file) const {
  return player_ && player_->playbackState() == QMediaPlayer::PlayingState &&
         player_->source() == QUrl::fromLocalFile(file);
}

}  // namespace reef::ui

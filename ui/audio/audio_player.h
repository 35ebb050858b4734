#pragma once
// Plays audio files for the studio's speech pages, one at a time: the Speech tab's samples and the
// Playground's synthesized speech share its workarounds for Qt 6.4's media backends.
#include <QObject>
#include <QString>

class QMediaPlayer;

namespace reef::ui {

class AudioPlayer : public QObject {
  Q_OBJECT
 public:
  explicit AudioPlayer(QObject* parent = nullptr);
  // Starts `file`; returns why it cannot play (no audio output device), or "".
  QString play(const QString& file);
  void stop();
  // Stops and lets go of the file: a file rewritten under the same name is then read afresh (the
  // same source set again would keep what was loaded).
  void release();
  bool playing(const QString& file) const;
  // Null until the first play().
  QMediaPlayer* player() const { return player_; }

 Q_SIGNALS:
  void changed();  // started, stopped or switched files
  void failed(const QString& message);

 private:
  QMediaPlayer* player_ = nullptr;
};

}  // namespace reef::ui

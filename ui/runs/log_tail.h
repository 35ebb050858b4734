#pragma once
// Follows a growing text file: each read() returns the complete lines appended since the last one.
// A file that shrank (rewritten, rotated) is read again from its start; a large file is read from
// its last `maxInitialBytes` only.
#include <QByteArray>
#include <QString>
#include <QStringList>

namespace reef::ui {

class LogTail {
 public:
  explicit LogTail(QString path = {}, qint64 maxInitialBytes = 4 << 20);

  const QString& path() const { return path_; }
  // The lines completed since the last call. `restarted` is set when the file was read from its
  // start again (what was shown before is stale).
  QStringList read(bool* restarted = nullptr);

 private:
  QString path_;
  qint64 maxInitialBytes_;
  qint64 offset_ = 0;
  QByteArray partial_;  // an unfinished last line
};

}  // namespace reef::ui

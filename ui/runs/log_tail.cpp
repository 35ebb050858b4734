#include "ui/runs/log_tail.h"

#include <QFile>

namespace reef::ui {

LogTail::LogTail(QString path, qint64 maxInitialBytes) : path_(std::move(path)), maxInitialBytes_(maxInitialBytes) {}

QStringList LogTail::read(bool* restarted) {
  if (restarted) *restarted = false;
  QFile file(path_);
  if (path_.isEmpty() || !file.open(QIODevice::ReadOnly)) return {};
  const qint64 size = file.size();
  if (size < offset_) {
    offset_ = 0;
    partial_.clear();
    if (restarted) *restarted = true;
  }
  bool skipFirst = false;
  if (offset_ == 0 && size > maxInitialBytes_) {
    offset_ = size - maxInitialBytes_;
    skipFirst = true;  // it starts inside a line
  }
  if (size == offset_ || !file.seek(offset_)) return {};
  QByteArray data = partial_ + file.read(size - offset_);
  offset_ = size;
  // Progress bars redraw their line with carriage returns: each redraw is a line here.
  data.replace("\r\n", "\n").replace('\r', '\n');
  const qsizetype end = data.lastIndexOf('\n');
  partial_ = data.mid(end + 1);
  if (end < 0) return {};
  QStringList lines = QString::fromUtf8(data.left(end)).split('\n');
  if (skipFirst && !lines.isEmpty()) lines.removeFirst();
  return lines;
}

}  // namespace reef::ui

#pragma once
// Server-sent events as `reef serve` (and OpenAI) stream them: "data: <payload>" lines, events
// separated by a blank line, lines ended by LF, CRLF or CR, arriving in network chunks that can
// split anywhere (a CRLF included). Pure, so it is tested apart from any socket.
#include <QByteArray>
#include <QList>

namespace reef::ui {

class SseParser {
 public:
  // Appends `bytes`; returns the data of every event completed by them, in order (the lines of
  // an event's several "data:" fields joined by newlines; comments and other fields ignored).
  QList<QByteArray> feed(const QByteArray& bytes);

 private:
  void line(const QByteArray& line, QList<QByteArray>& events);
  QByteArray pending_;  // an unfinished line
  QByteArray data_;     // the event being read
  bool hasData_ = false;
};

}  // namespace reef::ui

#pragma once
// Server-sent events as `reef serve` (and OpenAI) stream them: "data: <payload>" lines, events
// separated by a blank line, arriving in network chunks that can split anywhere. Pure, so it is
// tested apart from any socket.
#include <QByteArray>
#include <QList>

namespace reef::ui {

class SseParser {
 public:
  // Appends `bytes`; returns the data of every event completed by them, in order (the lines of
  // an event's several "data:" fields joined by newlines; comments and other fields ignored).
  QList<QByteArray> feed(const QByteArray& bytes);

 private:
  QByteArray pending_;
};

}  // namespace reef::ui

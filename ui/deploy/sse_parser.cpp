#include "ui/deploy/sse_parser.h"

namespace reef::ui {

QList<QByteArray> SseParser::feed(const QByteArray& bytes) {
  pending_ += bytes;
  pending_.replace("\r\n", "\n");
  QList<QByteArray> events;
  qsizetype end;
  while ((end = pending_.indexOf("\n\n")) >= 0) {
    const QByteArray block = pending_.left(end);
    pending_.remove(0, end + 2);
    QByteArray data;
    bool any = false;
    for (const QByteArray& line : block.split('\n')) {
      if (!line.startsWith("data:")) continue;
      QByteArray value = line.mid(5);
      if (value.startsWith(' ')) value.remove(0, 1);
      data += (any ? "\n" : "") + value;
      any = true;
    }
    if (any) events.append(data);
  }
  return events;
}

}  // namespace reef::ui

#include "ui/deploy/sse_parser.h"

namespace reef::ui {

QList<QByteArray> SseParser::feed(const QByteArray& bytes) {
  pending_ += bytes;
  QList<QByteArray> events;
  qsizetype start = 0;
  for (;;) {
    qsizetype end = start;
    while (end < pending_.size() && pending_[end] != '\r' && pending_[end] != '\n') ++end;
    if (end == pending_.size()) break;
    qsizetype next = end + 1;
    if (pending_[end] == '\r') {
      if (next == pending_.size()) break;  // a CR last in a chunk may be half of a CRLF
      if (pending_[next] == '\n') ++next;
    }
    line(pending_.mid(start, end - start), events);
    start = next;
  }
  pending_.remove(0, start);
  return events;
}

void SseParser::line(const QByteArray& line, QList<QByteArray>& events) {
  if (line.isEmpty()) {  // the blank line that ends an event
    if (hasData_) events.append(data_);
    data_.clear();
    hasData_ = false;
    return;
  }
  if (line != "data" && !line.startsWith("data:")) return;  // comments (":...") and other fields
  QByteArray value = line.mid(5);
  if (value.startsWith(' ')) value.remove(0, 1);
  data_ += (hasData_ ? "\n" : "") + value;
  hasData_ = true;
}

}  // namespace reef::ui

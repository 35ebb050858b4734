// The studio's reader of server-sent events (the Playground's streamed completions): a stream as
// one chunk and the same stream in chunks cut where the first byte says (the network cuts where it
// likes) must give the same events.
#include "fuzz/fuzz_input.h"
#include "ui/deploy/sse_parser.h"

using namespace reef;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const QByteArray stream(reinterpret_cast<const char*>(data + 1), static_cast<qsizetype>(size - 1));
  const QList<QByteArray> whole = ui::SseParser().feed(stream);
  ui::SseParser chunked;
  QList<QByteArray> pieces;
  const qsizetype step = 1 + data[0] % 17;
  for (qsizetype at = 0; at < stream.size(); at += step) pieces += chunked.feed(stream.mid(at, step));
  if (pieces != whole)
    fuzz::finding("chunks of " + std::to_string(step) + " bytes gave " + std::to_string(pieces.size()) +
                  " events, the whole stream " + std::to_string(whole.size()));
  return 0;
}

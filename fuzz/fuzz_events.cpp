// events.jsonl: each line through the event parser (with its repairs), and the file through
// readEvents.
#include "backend/protocol/event_log.h"
#include "fuzz/fuzz_input.h"

using namespace reef;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input = fuzz::text(data, size);
  size_t start = 0;
  while (start <= input.size()) {
    const size_t end = std::min(input.find('\n', start), input.size());
    bool repaired = false;
    try {
      if (auto event = protocol::parseEventLine(std::string_view(input).substr(start, end - start), &repaired))
        if (!event->is_object()) fuzz::finding("parseEventLine returned a non-object: " + event->dump());
    } catch (const std::exception&) {
    }
    start = end + 1;
  }
  try {
    protocol::readEvents(fuzz::asFile(data, size, ".jsonl"));
  } catch (const std::exception&) {
  }
  return 0;
}

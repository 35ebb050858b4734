#pragma once
// events.jsonl, version 1: the one channel from the engine to the studio (ARCHITECTURE.md).
// One JSON object per line with "v", "t" and "time"; lines are written whole and flushed.
#include "backend/protocol/json.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace reef::protocol {

inline constexpr int kEventVersion = 1;

double unixTime();

class EventWriter {
 public:
  // Opens `path` for appending (a resumed run continues the same stream). A last line left
  // unfinished (a writer killed mid-line) is cut off first, so the next event starts a line.
  explicit EventWriter(const std::filesystem::path& path);
  ~EventWriter();
  EventWriter(const EventWriter&) = delete;
  EventWriter& operator=(const EventWriter&) = delete;

  // Writes {"v":1,"t":type,"time":now, ...fields} as one line and flushes it. Thread-safe. A
  // line that cannot be written whole (a full disk) is taken back before this throws.
  void write(const std::string& type, const Json& fields = Json::object());

 private:
  std::mutex mutex_;
  int fd_ = -1;
  std::filesystem::path path_;
};

// Follows an events.jsonl by byte offset. Only complete lines are consumed, so a line the writer
// has not finished yet is read on a later poll; the offset can be stored and resumed from.
class EventReader {
 public:
  explicit EventReader(std::filesystem::path path, uint64_t offset = 0);

  // Returns the events of every complete line after the current offset and advances past them.
  // A complete line that parseEventLine() cannot read is counted in malformedLines() and skipped.
  std::vector<Json> poll();
  uint64_t offset() const { return offset_; }
  uint64_t malformedLines() const { return malformed_; }

 private:
  std::filesystem::path path_;
  uint64_t offset_ = 0;
  uint64_t malformed_ = 0;
};

// Parses one line of an event stream. A line that is not valid JSON only because of bytes that
// are not UTF-8 or of bare NaN/Infinity tokens (as Python's json module writes) is repaired:
// the bytes become U+FFFD, the tokens null, and `repaired` is set. Anything else that is not a
// JSON object gives std::nullopt.
std::optional<Json> parseEventLine(std::string_view line, bool* repaired = nullptr);

// Reads a whole events file (tolerating a partial last line).
std::vector<Json> readEvents(const std::filesystem::path& path);

}  // namespace reef::protocol

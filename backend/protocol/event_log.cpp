#include "backend/protocol/event_log.h"

#include "backend/protocol/utf8.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace reef::protocol {

double unixTime() {
  using namespace std::chrono;
  return duration_cast<duration<double>>(system_clock::now().time_since_epoch()).count();
}

namespace {

// Cuts a last line that has no newline: what a writer killed mid-line left behind.
void dropUnfinishedLine(int fd) {
  const off_t size = ::lseek(fd, 0, SEEK_END);
  char last = '\n';
  if (size <= 0 || ::pread(fd, &last, 1, size - 1) != 1 || last == '\n') return;
  off_t keep = size - 1;
  for (char c = 0; keep > 0 && ::pread(fd, &c, 1, keep - 1) == 1 && c != '\n';) --keep;
  (void)!::ftruncate(fd, keep);
}

}  // namespace

EventWriter::EventWriter(const std::filesystem::path& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0)
    throw std::runtime_error("cannot open event stream '" + path.string() + "' for writing: " + std::strerror(errno));
  dropUnfinishedLine(fd_);
}

EventWriter::~EventWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void EventWriter::write(const std::string& type, const Json& fields) {
  Json line;
  line["v"] = kEventVersion;
  line["t"] = type;
  line["time"] = unixTime();
  for (const auto& [k, v] : fields.items()) line[k] = v;
  // Non-finite floats are written as null (JSON has no spelling for them); invalid UTF-8 in a
  // message is replaced rather than losing the whole event.
  const std::string text = line.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  std::lock_guard<std::mutex> lock(mutex_);
  const off_t before = ::lseek(fd_, 0, SEEK_END);
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd_, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : ENOSPC;
      (void)!::ftruncate(fd_, before);  // readers never see half an event
      throw std::runtime_error("cannot write to event stream '" + path_.string() + "': " + std::strerror(error) +
                               " (is the disk full?)");
    }
    done += static_cast<size_t>(n);
  }
}

EventReader::EventReader(std::filesystem::path path, uint64_t offset) : path_(std::move(path)), offset_(offset) {}

std::vector<Json> EventReader::poll() {
  std::vector<Json> events;
  std::ifstream in(path_, std::ios::binary);
  if (!in) return events;
  in.seekg(0, std::ios::end);
  const auto size = static_cast<uint64_t>(in.tellg());
  if (size <= offset_) return events;
  in.seekg(static_cast<std::streamoff>(offset_));
  std::string chunk(size - offset_, '\0');
  in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  chunk.resize(static_cast<size_t>(in.gcount()));
  size_t start = 0;
  for (size_t nl; (nl = chunk.find('\n', start)) != std::string::npos; start = nl + 1) {
    std::string_view line(chunk.data() + start, nl - start);
    if (line.empty()) continue;
    if (auto event = parseEventLine(line))
      events.push_back(std::move(*event));
    else
      ++malformed_;
  }
  offset_ += start;
  return events;
}

namespace {

// Turns bare NaN, Infinity and -Infinity outside strings into null.
std::string nullForNonFinite(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  bool inString = false;
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (inString) {
      out += c;
      if (c == '\\' && i + 1 < in.size())
        out += in[++i];
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"') inString = true;
    bool replaced = false;
    for (std::string_view token : {"-Infinity", "Infinity", "NaN"})
      if (in.substr(i, token.size()) == token) {
        out += "null";
        i += token.size() - 1;
        replaced = true;
        break;
      }
    if (!replaced) out += c;
  }
  return out;
}

}  // namespace

std::optional<Json> parseEventLine(std::string_view line, bool* repaired) {
  if (repaired) *repaired = false;
  Json event = Json::parse(line, nullptr, false);
  if (!event.is_discarded()) {
    if (event.is_object()) return event;
    return std::nullopt;
  }
  event = Json::parse(nullForNonFinite(validUtf8(line)), nullptr, false);
  if (event.is_discarded() || !event.is_object()) return std::nullopt;
  if (repaired) *repaired = true;
  return event;
}

std::vector<Json> readEvents(const std::filesystem::path& path) {
  EventReader reader(path);
  return reader.poll();
}

}  // namespace reef::protocol

#pragma once
// A rank's text log (logs/rank-<R>.log), mirrored as `log` events and, for warnings and errors,
// on the console.
#include "backend/protocol/event_log.h"

#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>

namespace reef::engine {

class RunLog {
 public:
  RunLog(const std::filesystem::path& path, protocol::EventWriter* events, int rank);

  void info(const std::string& message);
  void warn(const std::string& message);
  void error(const std::string& message);
  // Where console lines go (the progress display, so that they do not break its bar).
  void setConsole(std::function<void(const std::string&)> console) { console_ = std::move(console); }

 private:
  void write(const char* level, const std::string& message, bool toConsole);

  std::mutex mutex_;
  std::ofstream file_;
  protocol::EventWriter* events_;
  int rank_;
  std::function<void(const std::string&)> console_;
};

}  // namespace reef::engine

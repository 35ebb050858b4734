#include "backend/engine/trainer/run_log.h"

#include <cstdio>
#include <ctime>

namespace reef::engine {

RunLog::RunLog(const std::filesystem::path& path, protocol::EventWriter* events, int rank)
    : file_(path, std::ios::app), events_(events), rank_(rank) {
  if (!file_) throw std::runtime_error("cannot open log file '" + path.string() + "'");
}

void RunLog::info(const std::string& message) { write("info", message, false); }
void RunLog::warn(const std::string& message) { write("warning", message, true); }
void RunLog::error(const std::string& message) { write("error", message, true); }

void RunLog::write(const char* level, const std::string& message, bool toConsole) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
    file_ << stamp << " [" << level << "] " << message << "\n";
    file_.flush();
  }
  if (events_) events_->write("log", {{"level", level}, {"rank", rank_}, {"message", message}});
  if (toConsole) {
    const std::string line = std::string(level) + ": " + message;
    if (console_)
      console_(line);
    else
      std::fprintf(stderr, "%s\n", line.c_str());
  }
}

}  // namespace reef::engine

#pragma once
// Progress of long work on stderr: a redrawn bar on a terminal, plain lines every few seconds
// otherwise (logs, CI, pipes).
#include <chrono>
#include <cstdint>
#include <string>

namespace reef::engine {

class Progress {
 public:
  // interactive: redraw a bar in place; decided by the caller (isatty(stderr) for the CLI).
  Progress(std::string label, int64_t total, bool interactive);
  ~Progress();

  void update(int64_t done, const std::string& detail);
  // Prints a whole line above the bar.
  void message(const std::string& line);
  void finish();

  static bool stderrIsTerminal();

 private:
  void draw(bool force);
  void clearLine();

  std::string label_;
  int64_t total_;
  bool interactive_;
  int64_t done_ = 0;
  int64_t startDone_ = -1;
  std::string detail_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point lastDraw_;
};

}  // namespace reef::engine

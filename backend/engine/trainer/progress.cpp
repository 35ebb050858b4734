#include "backend/engine/trainer/progress.h"

#include "backend/protocol/number_format.h"

#include <unistd.h>

#include <cstdio>

namespace reef::engine {

using Clock = std::chrono::steady_clock;

Progress::Progress(std::string label, int64_t total, bool interactive)
    : label_(std::move(label)),
      total_(total),
      interactive_(interactive),
      start_(Clock::now()),
      lastDraw_(Clock::now()) {}

Progress::~Progress() { finish(); }

bool Progress::stderrIsTerminal() { return ::isatty(STDERR_FILENO) == 1; }

void Progress::update(int64_t done, const std::string& detail) {
  if (startDone_ < 0) {
    startDone_ = done;  // a resumed run starts part-way; its rate counts from here
    start_ = Clock::now();
  }
  done_ = done;
  detail_ = detail;
  draw(done_ >= total_);
}

void Progress::draw(bool force) {
  const auto now = Clock::now();
  const double sinceDraw = std::chrono::duration<double>(now - lastDraw_).count();
  if (!force && sinceDraw < (interactive_ ? 0.1 : 10.0)) return;
  lastDraw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done_ - startDone_) / elapsed : 0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done_) / rate : -1;
  const double fraction = total_ > 0 ? static_cast<double>(done_) / static_cast<double>(total_) : 1;
  if (interactive_) {
    constexpr int width = 24;
    const int filled = static_cast<int>(fraction * width);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(width - filled), '-');
    std::fprintf(stderr, "\r\033[K%s [%s] %lld/%lld %3.0f%% | %s | ETA %s", label_.c_str(), bar.c_str(),
                 static_cast<long long>(done_), static_cast<long long>(total_), fraction * 100, detail_.c_str(),
                 protocol::formatDuration(eta).c_str());
    drawn_ = true;
  } else {
    std::fprintf(stderr, "%s %lld/%lld (%.0f%%) | %s | ETA %s\n", label_.c_str(), static_cast<long long>(done_),
                 static_cast<long long>(total_), fraction * 100, detail_.c_str(),
                 protocol::formatDuration(eta).c_str());
  }
  std::fflush(stderr);
}

void Progress::clearLine() {
  if (interactive_ && drawn_) std::fprintf(stderr, "\r\033[K");
  drawn_ = false;
}

void Progress::message(const std::string& line) {
  clearLine();
  std::fprintf(stderr, "%s\n", line.c_str());
  if (interactive_ && startDone_ >= 0) draw(true);
  std::fflush(stderr);
}

void Progress::finish() {
  if (interactive_ && drawn_) {
    draw(true);
    std::fprintf(stderr, "\n");
    drawn_ = false;
  }
  std::fflush(stderr);
}

}  // namespace reef::engine

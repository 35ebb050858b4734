#include "backend/engine/trainer/stop_signal.h"

#include <unistd.h>

#include <atomic>
#include <csignal>

namespace reef::engine {

namespace {

std::atomic<int> requests{0};

extern "C" void onStopSignal(int signal) {
  if (requests.fetch_add(1) >= 1) _exit(128 + signal);
  static const char note[] = "\nstopping after this step (a second signal ends at once)\n";
  (void)!write(STDERR_FILENO, note, sizeof note - 1);
}

}  // namespace

void installStopHandlers() {
  struct sigaction action {};
  action.sa_handler = onStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool stopRequested() { return requests.load() > 0; }

}  // namespace reef::engine

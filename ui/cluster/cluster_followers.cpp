#include "ui/cluster/cluster_followers.h"

#include "backend/cluster/local_backend.h"
#include "backend/cluster/remote_backend.h"
#include "backend/cluster/run_backend.h"

#include <algorithm>
#include <filesystem>

namespace fs = std::filesystem;

namespace reef::ui {

void startFollower(const QString& reefBinary, const QString& runDir) {
  const fs::path run = runDir.toStdString();
  fs::create_directories(run / "logs");
  cluster::spawnDetached({reefBinary.toStdString(), "runs", "follow", run.string()}, run / "logs" / "follower.log");
}

int followUnfinishedClusterRuns(const QString& reefBinary, const QString& workspace) {
  const fs::path runs = fs::path(workspace.toStdString()) / "runs";
  std::error_code error;
  if (!fs::is_directory(runs, error)) return 0;
  int started = 0;
  // Errors while listing end the round (the next one tries again); they never reach Qt's event loop.
  for (fs::directory_iterator it(runs, error), end; !error && it != end; it.increment(error)) {
    const fs::path dir = it->path();
    try {
      if (!cluster::RemoteRun::isRemote(dir) || cluster::isFollowed(dir)) continue;
      static const char* ended[] = {"COMPLETED",     "FAILED",    "CANCELLED", "TIMEOUT",  "NODE_FAIL",
                                    "OUT_OF_MEMORY", "PREEMPTED", "BOOT_FAIL", "DEADLINE", "EXITED"};
      const std::string state = cluster::RemoteRun::read(dir).state;
      const bool jobEnded = std::find(std::begin(ended), std::end(ended), state) != std::end(ended);
      if (jobEnded && cluster::stateFromEvents(dir).finished) continue;
      startFollower(reefBinary, QString::fromStdString(dir.string()));
      ++started;
    } catch (const std::exception&) {
      continue;  // a run that cannot be read or followed now: the runs table shows why; the next round tries again
    }
  }
  return started;
}

}  // namespace reef::ui

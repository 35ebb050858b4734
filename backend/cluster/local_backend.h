#pragma once
// Runs on this machine: `reef train` started as a detached process (its own session, so it keeps
// training when the studio closes), its output in the run's logs/launcher.log.
#include "backend/cluster/backend.h"

namespace reef::cluster {

class LocalBackend : public Backend {
 public:
  std::string name() const override { return "local"; }
  LaunchedRun submit(const LaunchRequest& request) override;
  LaunchedRun resume(const std::filesystem::path& runDir, const std::filesystem::path& reefBinary) override;
  void cancel(const std::filesystem::path& runDir, int64_t pid) override;
  void requestStop(const std::filesystem::path& runDir, const std::string& reason) override;
  // The pid is this run's engine: it exists and its command line names the run (pids are reused).
  bool alive(const std::filesystem::path& runDir, int64_t pid) override;
  // The run directory is the real one: nothing to copy; the state is the run's own status.
  RunState follow(const std::filesystem::path& runDir) override;
  void fetch(const std::filesystem::path&, const std::string&) override {}
};

// The status of a run from its events.jsonl: the status (and error) of its last run_finished,
// unless the run started again after it; else "running".
RunState stateFromEvents(const std::filesystem::path& runDir);

// Starts `argv` detached from this process (double fork + setsid), with stdin from /dev/null and
// stdout/stderr appended to `logFile`; returns its pid.
int64_t spawnDetached(const std::vector<std::string>& argv, const std::filesystem::path& logFile);

}  // namespace reef::cluster

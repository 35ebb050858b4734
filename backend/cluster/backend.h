#pragma once
// Where runs execute. The studio and `reef submit` launch, resume and stop runs through this one
// interface; each backend leaves a run directory that the run index follows.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace reef::cluster {

struct LaunchRequest {
  std::filesystem::path workspace;
  std::string specYaml;                // the experiment as the designer wrote it
  std::vector<std::string> overrides;  // section.key=value
  std::filesystem::path reefBinary;    // the engine to run
};

struct LaunchedRun {
  std::filesystem::path runDir;
  int64_t pid = 0;
};

// Where a run stands, as its backend sees it.
struct RunState {
  std::string state;  // e.g. RUNNING, PENDING, COMPLETED, FAILED, CANCELLED (Slurm's words), or the run's status
  bool finished = false;
  std::string error;  // why a finished run failed, when the backend knows
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  // Creates the run directory at once, so that the run can be listed before the engine starts,
  // and starts training in it.
  virtual LaunchedRun submit(const LaunchRequest& request) = 0;
  // Continues a stopped or failed run from its latest checkpoint.
  virtual LaunchedRun resume(const std::filesystem::path& runDir, const std::filesystem::path& reefBinary) = 0;
  // Asks the run's process to stop: the engine checkpoints and ends the run as cancelled.
  virtual void cancel(const std::filesystem::path& runDir, int64_t pid) = 0;
  // Asks the run to stop early (a sweep's decision): writes its stop request, and the engine
  // checkpoints and ends the run as stopped.
  virtual void requestStop(const std::filesystem::path& runDir, const std::string& reason) = 0;
  // Whether the run's engine process (this machine: `pid`) still exists. Backends whose follow()
  // reports a job that ended without the engine saying so answer true.
  virtual bool alive(const std::filesystem::path& runDir, int64_t pid) = 0;
  // Brings the local run directory up to date with where the run executes (a remote run's events
  // and logs are copied by byte offset, so nothing is lost or doubled) and says where it stands.
  virtual RunState follow(const std::filesystem::path& runDir) = 0;
  // Copies a file or folder of the run (a checkpoint, an export) from where it executes into the
  // local run directory; `relative` is a path inside the run directory.
  virtual void fetch(const std::filesystem::path& runDir, const std::string& relative) = 0;
};

}  // namespace reef::cluster

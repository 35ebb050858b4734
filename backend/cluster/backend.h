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
  std::string specYaml;                 // the experiment as the designer wrote it
  std::vector<std::string> overrides;   // section.key=value
  std::filesystem::path reefBinary;     // the engine to run
};

struct LaunchedRun {
  std::filesystem::path runDir;
  int64_t pid = 0;
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
};

}  // namespace reef::cluster

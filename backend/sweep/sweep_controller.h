#pragma once
// Runs a sweep: proposes trials, starts them through a launch backend (this machine, an SSH host
// or Slurm), follows their event streams, applies the early-stopping rule, and records everything
// in the sweep's folder after every change. One controller per sweep (controller.lock). It can be
// killed at any moment: `reef sweep resume` starts a new one that adopts the trials still running,
// continues trials whose process vanished from their last checkpoint (twice at most; then the
// trial is lost and replaced), and starts the trials that were recorded but never launched.
// A full disk pauses the sweep: a trial that fails, vanishes or cannot start while the disk is
// full is not at fault; the controller cancels the running trials (they keep their checkpoints),
// records the sweep as stopped where it can, and throws an error naming the disk. After space is
// freed, `reef sweep resume` continues every paused trial from its last checkpoint.
#include "backend/cluster/backend.h"
#include "backend/protocol/event_log.h"
#include "backend/sweep/sampler.h"
#include "backend/sweep/stopping_rule.h"
#include "backend/sweep/sweep_store.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>

namespace reef::sweep {

struct ControllerOptions {
  std::filesystem::path reefBinary;
  int parallel = 1;         // trials at once
  int threadsPerTrial = 0;  // trainer.threads given to each trial that does not set it (0: leave)
  std::chrono::milliseconds poll{500};
  std::function<void(const std::string&)> print;  // progress lines for a terminal
};

class SweepController {
 public:
  SweepController(SweepStore store, cluster::Backend& backend, ControllerOptions options);
  ~SweepController();

  // Runs the sweep until it ends (completed, stopped by `reef sweep stop`, or failed); returns the
  // final state. Throws when another controller runs this sweep, and when a full disk paused it.
  SweepState run();
  // Stops the sweep now: cancels its running trials and records it as stopped. When another
  // controller holds the sweep, leaves the stop request for it instead; returns whether it stopped
  // the sweep itself.
  bool stop();

  static constexpr int kMaxResumes = 2;

 private:
  bool tryLock();
  SweepState follow();
  bool diskIsFull() const;
  bool outOfSpace(Trial& t);
  [[noreturn]] void pauseForDiskFull(const std::string& cause);
  void adoptLeftovers();
  void continueStoppedTrials();
  void continueTrial(Trial& t, const std::string& after);
  bool followTrial(size_t index);
  void readEvents(size_t index, bool& newReport, std::optional<Json>& finish);
  void finishTrial(Trial& t, const Json& finish);
  void handleVanished(Trial& t);
  void launch(Trial& t);
  bool launchMore();
  bool sweepHasFailed();
  void cancelRunning(const std::string& why);
  void end(const std::string& status, const std::string& message);
  void save();
  void note(const std::string& line);
  int active() const;
  int counted() const;

  SweepStore store_;
  SweepSpec spec_;
  SweepState state_;
  cluster::Backend& backend_;
  ControllerOptions options_;
  std::unique_ptr<Sampler> sampler_;
  std::unique_ptr<StoppingRule> rule_;
  std::map<int, protocol::EventReader> readers_;  // trial number -> its events.jsonl
  std::map<int, std::set<std::string>> metrics_;  // trial number -> validation metrics it reported
  std::map<int, int64_t> stepsPerEpoch_;
  bool exhausted_ = false;
  bool diskFull_ = false;                                    // a trial was paused by a full disk: the sweep pauses
  std::vector<std::pair<std::string, int64_t>> cancelling_;  // (run, pid) that end() signals
  int lockFd_ = -1;
};

// The sweep label of a trial's run: exp.sweep = "<sweep id>/<trial number>".
std::string trialLabel(const std::string& sweepId, int number);

}  // namespace reef::sweep

#include "backend/sweep/sweep_controller.h"

#include "backend/cluster/remote_backend.h"
#include "backend/protocol/atomic_file.h"
#include "backend/protocol/run_dir.h"
#include "backend/protocol/spec.h"
#include "backend/protocol/yaml_json.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace fs = std::filesystem;

namespace reef::sweep {

namespace {

// Why `reef sweep stop` cancelled a trial: `reef sweep resume` continues those trials.
constexpr const char* kSweepStopped = "the sweep was stopped";

// Why a full disk paused a trial: `reef sweep resume` continues those trials too.
constexpr const char* kDiskFull = "the disk was full";

// Less free space than this where the sweep writes, and nothing can checkpoint, log or start.
constexpr std::uintmax_t kFullDiskBytes = 1u << 20;

// A launched trial gets this long to exec its engine before a missing process counts as vanished.
constexpr double kStartGraceSeconds = 5;

// Trials recorded but not launched whose run directory exists (the controller died in between).
std::map<std::string, fs::path> runsBySweepLabel(const fs::path& workspace, const std::string& sweepId) {
  std::map<std::string, fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(workspace / "runs", ec)) {
    try {
      const Json spec = protocol::loadSpecFile(e.path() / "spec.yaml");
      const std::string label = spec.value("/exp/sweep"_json_pointer, "");
      if (label.rfind(sweepId + "/", 0) == 0) out[label] = e.path();
    } catch (const std::exception&) {  // not a run directory, or one being written
    }
  }
  return out;
}

}  // namespace

std::string trialLabel(const std::string& sweepId, int number) { return sweepId + "/" + std::to_string(number); }

SweepController::SweepController(SweepStore store, cluster::Backend& backend, ControllerOptions options)
    : store_(std::move(store)),
      spec_(store_.spec()),
      backend_(backend),
      options_(std::move(options)),
      sampler_(makeSampler(spec_)),
      rule_(makeStoppingRule(spec_)) {}

SweepController::~SweepController() {
  if (lockFd_ >= 0) ::close(lockFd_);
}

bool SweepController::tryLock() {
  lockFd_ = ::open(store_.lockFile().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lockFd_ < 0)
    throw std::runtime_error("cannot open '" + store_.lockFile().string() + "': " + std::strerror(errno));
  if (::flock(lockFd_, LOCK_EX | LOCK_NB) == 0) {
    const std::string pid = std::to_string(::getpid()) + "\n";
    (void)!::ftruncate(lockFd_, 0);
    (void)!::pwrite(lockFd_, pid.data(), pid.size(), 0);
    return true;
  }
  ::close(lockFd_);
  lockFd_ = -1;
  return false;
}

void SweepController::note(const std::string& line) {
  store_.log(line);
  if (options_.print) options_.print(line);
}

void SweepController::save() { store_.save(state_); }

int SweepController::active() const {
  int n = 0;
  for (const auto& t : state_.trials) n += !finished(t.status);
  return n;
}

int SweepController::counted() const {
  int n = 0;
  for (const auto& t : state_.trials) n += t.counts();
  return n;
}

SweepState SweepController::run() {
  if (!tryLock())
    throw std::runtime_error("sweep " + store_.id() + " is already run by another controller (its pid is in " +
                             store_.lockFile().string() + "): `reef sweep status " + store_.id() + "` follows it");
  try {
    return follow();
  } catch (const std::exception& e) {
    if (diskFull_ || !diskIsFull()) throw;
    pauseForDiskFull(e.what());  // a write of the sweep's own failed
  }
}

SweepState SweepController::follow() {
  state_ = store_.load();
  if (state_.status != "running") return state_;
  adoptLeftovers();
  for (;;) {
    if (fs::exists(store_.stopRequest())) {
      cancelRunning(kSweepStopped);
      end("stopped", "stopped by `reef sweep stop`");
      break;
    }
    bool changed = false;
    for (size_t i = 0; i < state_.trials.size(); ++i)
      if (!finished(state_.trials[i].status) && state_.trials[i].status != TrialStatus::Pending)
        changed = followTrial(i) || changed;
    if (diskFull_) pauseForDiskFull("a trial could not go on");
    if (changed) save();
    if (sweepHasFailed()) break;
    if (launchMore()) save();
    if (diskFull_) pauseForDiskFull("a trial could not start");
    if (active() == 0 && (counted() >= spec_.runCap || exhausted_)) {
      end("completed", exhausted_ && counted() < spec_.runCap
                           ? "the search space has no configuration left after " + std::to_string(counted()) + " trials"
                           : std::to_string(counted()) + " trials");
      break;
    }
    std::this_thread::sleep_for(options_.poll);
  }
  return state_;
}

bool SweepController::diskIsFull() const {
  std::error_code ec;
  const fs::space_info space = fs::space(store_.root(), ec);
  return !ec && space.available < kFullDiskBytes;
}

void SweepController::pauseForDiskFull(const std::string& cause) {
  diskFull_ = true;
  cancelRunning(kDiskFull);  // signalled only once recorded
  std::error_code ec;
  const auto free = fs::space(store_.root(), ec).available;
  const std::string message = "the disk holding " + store_.workspace().string() + " is full (" +
                              std::to_string(ec ? 0 : free / 1024) + " KB free; " + cause +
                              "): free space, then `reef sweep resume " + store_.id() +
                              "` continues its trials from their last checkpoints";
  try {
    end("stopped", message);
  } catch (const std::exception& e) {
    // Unrecorded, a signalled trial would read as cancelled on resume: it trains on instead, and
    // resume follows it from state.json's last version (or continues it, if the disk stopped it).
    note("cannot record the pause (" + std::string(e.what()) +
         "): running trials are left to go on; `reef sweep resume` follows them");
  }
  throw std::runtime_error("sweep " + store_.id() + " paused: " + message);
}

void SweepController::adoptLeftovers() {
  continueStoppedTrials();
  bool pending = false;
  for (const auto& t : state_.trials) pending = pending || t.status == TrialStatus::Pending;
  if (!pending) return;
  const auto runs = runsBySweepLabel(store_.workspace(), store_.id());
  for (auto& t : state_.trials) {
    const auto it = runs.find(trialLabel(store_.id(), t.number));
    if (t.status != TrialStatus::Pending || it == runs.end()) continue;
    t.runDir = it->second.string();
    t.status = TrialStatus::Running;
    t.startedAt = protocol::unixTime() - kStartGraceSeconds;  // its process is checked at once
    note("trial " + std::to_string(t.number) + ": adopted its run " + it->second.filename().string());
  }
  save();
}

// Trials that `reef sweep stop` or a full disk cancelled go on from their last checkpoint: stop
// and resume pause a sweep.
void SweepController::continueStoppedTrials() {
  bool changed = false;
  for (auto& t : state_.trials) {
    if (t.status != TrialStatus::Cancelled || (t.error != kSweepStopped && t.error != kDiskFull) || t.runDir.empty())
      continue;
    continueTrial(t, t.error == kDiskFull ? "the full disk" : "the sweep's stop");
    changed = true;
  }
  if (changed) save();
}

void SweepController::continueTrial(Trial& t, const std::string& after) {
  try {
    t.pid = backend_.resume(t.runDir, options_.reefBinary).pid;
    t.status = TrialStatus::Running;
    t.error.clear();
    t.startedAt = protocol::unixTime();
    t.endedAt = 0;
    // Read on from the end: its reports are kept, and the old run_finished must not end it again.
    const fs::path events = protocol::RunDir(t.runDir).events();
    std::error_code ec;
    const auto size = fs::file_size(events, ec);
    readers_.erase(t.number);
    readers_.emplace(t.number, protocol::EventReader(events, ec ? 0 : size));
    note("trial " + std::to_string(t.number) + ": continued from its last checkpoint after " + after);
  } catch (const std::exception& e) {
    note("trial " + std::to_string(t.number) + ": cannot be continued (" + e.what() + ")");
  }
}

// A trial that failed for lack of space, or failed or vanished while the disk is full, is not at
// fault: with space again it goes on from its last checkpoint; without, it waits and the sweep
// pauses. Returns whether it was such a trial.
bool SweepController::outOfSpace(Trial& t) {
  const bool full = diskIsFull();
  if (!full && t.error.find(std::strerror(ENOSPC)) == std::string::npos) return false;
  if (!full) {  // bounded like a vanished trial: a run too big for the space left fails for good
    if (t.resumes >= kMaxResumes) return false;
    ++t.resumes;
    continueTrial(t, "its disk had been full");
    return true;
  }
  t.status = TrialStatus::Cancelled;
  t.error = kDiskFull;
  t.endedAt = protocol::unixTime();
  diskFull_ = true;
  note("trial " + std::to_string(t.number) + ": paused, the disk is full");
  return true;
}

void SweepController::readEvents(size_t index, bool& newReport, std::optional<Json>& finish) {
  Trial& t = state_.trials[index];
  auto reader = readers_.try_emplace(t.number, protocol::RunDir(t.runDir).events()).first;
  for (const Json& e : reader->second.poll()) {
    const std::string type = e.value("t", "");
    if (type == "run_started") {
      finish.reset();  // a continued run starts again
      stepsPerEpoch_[t.number] = e.value("steps_per_epoch", int64_t{0});
    } else if (type == "metric") {
      const int64_t step = e.value("step", int64_t{0});
      t.steps = std::max(t.steps, step);
      const Json values = e.value("values", Json::object());
      for (const auto& [name, _] : values.items())
        if (name.rfind("val/", 0) == 0) metrics_[t.number].insert(name);
      if (!values.contains(spec_.metric.name)) continue;
      const Json& v = values[spec_.metric.name];
      t.reports[step] = v.is_number() ? v.get<double>() : NAN;
      t.value = t.reports.rbegin()->second;
      newReport = true;
    } else if (type == "run_finished") {
      finish = e;
    }
  }
}

bool SweepController::followTrial(size_t index) {
  Trial& t = state_.trials[index];
  // A cluster run's events are mirrored here first; a local run's are read below only (follow()
  // would parse its whole stream on every poll).
  try {
    if (cluster::RemoteRun::isRemote(t.runDir)) backend_.follow(t.runDir);
  } catch (const std::exception& e) {
    note("trial " + std::to_string(t.number) + ": cannot follow its run now (" + e.what() + "); trying again");
    return false;
  }
  bool newReport = false;
  std::optional<Json> finish;
  const int64_t stepsBefore = t.steps;
  readEvents(index, newReport, finish);
  if (newReport && rule_ && t.status == TrialStatus::Running) {
    const StopDecision d = rule_->judge(state_.trials, index, stepsPerEpoch_[t.number]);
    if (d.stop) {
      backend_.requestStop(t.runDir, d.reason);
      t.status = TrialStatus::Stopping;
      t.error = d.reason;
      note("trial " + std::to_string(t.number) + ": stopping early, " + d.reason);
    }
  }
  if (finish) {
    finishTrial(t, *finish);
    if (t.status == TrialStatus::Failed) outOfSpace(t);
    return true;
  }
  if (protocol::unixTime() - t.startedAt > kStartGraceSeconds && !backend_.alive(t.runDir, t.pid)) {
    handleVanished(t);
    return true;
  }
  return newReport || t.steps != stepsBefore;
}

void SweepController::finishTrial(Trial& t, const Json& finish) {
  const std::string status = finish.value("status", "failed");
  const Json error = finish.value("error", Json());
  if (finish.contains("step") && finish["step"].is_number_integer())  // it trained past its last metric
    t.steps = std::max(t.steps, finish["step"].get<int64_t>());
  t.endedAt = protocol::unixTime();
  if (status == "completed" && t.reports.empty()) {
    std::string seen;
    for (const auto& m : metrics_[t.number]) seen += (seen.empty() ? "" : ", ") + m;
    t.status = TrialStatus::Failed;
    t.error = "the run never reported " + spec_.metric.name +
              (seen.empty() ? std::string(" (it reported no validation metric: does its data have a validation split?)")
                            : "; it reports " + seen + ": set the sweep's metric to one of them");
  } else if (status == "completed" || status == "stopped") {
    t.status = status == "completed" ? TrialStatus::Completed : TrialStatus::Stopped;
    if (t.status == TrialStatus::Completed) t.error.clear();  // a stop that came after its last step
  } else if (status == "cancelled") {
    t.status = TrialStatus::Cancelled;
  } else {
    t.status = TrialStatus::Failed;
    t.error = error.is_string() ? error.get<std::string>() : "the run failed without a message";
  }
  note("trial " + std::to_string(t.number) + ": " + trialStatusName(t.status) + " at step " + std::to_string(t.steps) +
       (t.value ? ", " + spec_.metric.name + " " + std::to_string(*t.value) : std::string()) +
       (t.status == TrialStatus::Failed ? ": " + t.error : std::string()));
}

void SweepController::handleVanished(Trial& t) {
  const std::string who = "trial " + std::to_string(t.number);
  if (t.status == TrialStatus::Stopping) {  // it was asked to stop and is gone: it is stopped
    t.status = TrialStatus::Stopped;
    t.endedAt = protocol::unixTime();
    note(who + ": its process ended while stopping early");
    return;
  }
  if (outOfSpace(t)) return;
  if (t.resumes < kMaxResumes) {
    try {
      t.pid = backend_.resume(t.runDir, options_.reefBinary).pid;
      ++t.resumes;
      t.startedAt = protocol::unixTime();
      note(who + ": its process was gone; continued from its last checkpoint (pid " + std::to_string(t.pid) + ")");
      return;
    } catch (const std::exception& e) {
      t.error = e.what();
    }
  }
  t.status = TrialStatus::Lost;
  t.endedAt = protocol::unixTime();
  note(who + ": its process was gone and it could not be continued" + (t.error.empty() ? "" : " (" + t.error + ")") +
       "; a new trial replaces it");
}

void SweepController::launch(Trial& t) {
  Json spec = spec_.trialSpec(t.params);
  spec["exp"]["name"] = (spec_.name.empty() ? "sweep" : spec_.name) + "-t" + std::to_string(t.number);
  spec["exp"]["sweep"] = trialLabel(store_.id(), t.number);
  if (options_.threadsPerTrial > 0 && !spec.contains("/trainer/threads"_json_pointer))
    spec["trainer"]["threads"] = options_.threadsPerTrial;
  t.startedAt = protocol::unixTime();
  try {
    const cluster::LaunchedRun run =
        backend_.submit({store_.workspace(), protocol::toYaml(spec), {}, options_.reefBinary});
    t.runDir = fs::absolute(run.runDir).string();  // (a relative one breaks other working directories)
    t.pid = run.pid;
    t.status = TrialStatus::Running;
    note("trial " + std::to_string(t.number) + ": started " + run.runDir.filename().string() + " with " +
         SearchSpace::describe(t.params));
  } catch (const std::exception& e) {
    if (diskIsFull()) {  // recorded as pending: resume starts it
      diskFull_ = true;
      note("trial " + std::to_string(t.number) + ": could not start, the disk is full: " + e.what());
      return;
    }
    t.status = TrialStatus::Failed;
    t.error = e.what();
    t.endedAt = protocol::unixTime();
    note("trial " + std::to_string(t.number) + ": could not start: " + t.error);
  }
}

bool SweepController::launchMore() {
  bool changed = false;
  for (auto& t : state_.trials)  // recorded before a crash, never launched
    if (t.status == TrialStatus::Pending && active() - 1 < options_.parallel) {
      launch(t);
      changed = true;
    }
  while (!exhausted_ && active() < options_.parallel && counted() < spec_.runCap) {
    const std::optional<Assignment> params = sampler_->propose(state_.trials);
    if (!params) {
      exhausted_ = true;
      break;
    }
    Trial t;
    t.number = static_cast<int>(state_.trials.size());
    t.params = *params;
    state_.trials.push_back(t);
    save();  // recorded before it starts, so a crash never runs a trial the sweep does not know
    launch(state_.trials.back());
    changed = true;
    // Judged by sweepHasFailed first; on a full disk it stays pending for `reef sweep resume`.
    if (state_.trials.back().status == TrialStatus::Failed || diskFull_) break;
  }
  return changed;
}

bool SweepController::sweepHasFailed() {
  int failures = 0;
  for (const auto& t : state_.trials) {
    if (t.status == TrialStatus::Completed || t.status == TrialStatus::Stopped) return false;
    failures += t.status == TrialStatus::Failed;
  }
  if (failures < spec_.maxFailures) return false;
  const Trial* last = nullptr;
  for (const auto& t : state_.trials)
    if (t.status == TrialStatus::Failed) last = &t;
  cancelRunning("the sweep failed");
  end("failed", "all " + std::to_string(failures) + " finished trials failed (max_failures " +
                    std::to_string(spec_.maxFailures) + "); the last error: " + last->error);
  return true;
}

// Records the running trials as cancelled. end() signals their engines once that is saved: a
// controller that cannot save leaves them running, and `reef sweep resume` adopts them.
void SweepController::cancelRunning(const std::string& why) {
  for (auto& t : state_.trials) {
    if (finished(t.status)) continue;
    t.endedAt = protocol::unixTime();
    if (t.status == TrialStatus::Stopping) {  // stopping early already: it ends by itself, as stopped
      t.status = TrialStatus::Stopped;
      continue;
    }
    if (t.status != TrialStatus::Pending) cancelling_.emplace_back(t.runDir, t.pid);
    t.status = TrialStatus::Cancelled;
    t.error = why;
  }
}

void SweepController::end(const std::string& status, const std::string& message) {
  state_.status = status;
  state_.message = message;
  state_.endedAt = protocol::unixTime();
  save();
  for (const auto& [runDir, pid] : cancelling_) try {
      backend_.cancel(runDir, pid);
    } catch (const std::exception&) {  // already gone
    }
  cancelling_.clear();
  std::error_code ec;
  fs::remove(store_.stopRequest(), ec);
  note("sweep " + status + ": " + message);
}

bool SweepController::stop() {
  if (!tryLock()) {
    protocol::writeFileAtomically(store_.stopRequest(), "stop\n");
    return false;
  }
  state_ = store_.load();
  if (state_.status == "running") {
    cancelRunning(kSweepStopped);
    end("stopped", "stopped by `reef sweep stop`");
  }
  return true;
}

}  // namespace reef::sweep

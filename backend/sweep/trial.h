#pragma once
// One trial of a sweep: its settings, where it runs, what it reported and how it ended. Trials
// are numbered from 0 in the order they were proposed; the number never changes.
#include "backend/protocol/json.h"
#include "backend/sweep/search_space.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace reef::sweep {

enum class TrialStatus {
  Pending,    // proposed and recorded, not started yet
  Running,    // its run is training
  Stopping,   // asked to stop early; its run is checkpointing
  Completed,  // trained to the end
  Stopped,    // stopped early by the sweep's rule
  Failed,     // its run failed (error says why)
  Lost,       // its process vanished and it could not be continued: replaced by a new trial
  Cancelled,  // the sweep was stopped while it ran
};

const char* trialStatusName(TrialStatus status);
TrialStatus trialStatusFromName(const std::string& name);
// Completed, Stopped, Failed, Lost or Cancelled.
bool finished(TrialStatus status);

struct Trial {
  int number = 0;
  Assignment params = Json::object();
  TrialStatus status = TrialStatus::Pending;
  std::string runDir;                 // absolute path of its run directory, empty while pending
  int64_t pid = 0;                    // the engine's pid (local) or the job id (cluster)
  int resumes = 0;                    // times it was continued after its process vanished
  std::map<int64_t, double> reports;  // validation step -> the sweep metric's value
  std::map<int, double> rungs;        // early-stopping rung -> the value it was judged on
  int64_t steps = 0;                  // optimizer steps trained (the compute it used)
  std::optional<double> value;        // the metric at its last report
  std::string error;                  // why it failed, or why it was stopped
  double startedAt = 0, endedAt = 0;  // unix seconds

  bool counts() const { return status != TrialStatus::Lost; }
  Json toJson() const;
  static Trial fromJson(const Json& json);
};

}  // namespace reef::sweep

#pragma once
// The workspace's sweeps in the run index. The sweep folders (<workspace>/sweeps/<id>/sweep.json
// and state.json, written only by the sweep's controller) are the truth: syncSweeps() replaces a
// sweep's rows whole when its state.json changed and drops the rows of folders that are gone, so
// `reef db rebuild` recreates them like runs. The files are read as JSON here (their format is a
// contract in docs/ARCHITECTURE.md), so storage does not depend on the sweep library.
#include "storage/sqlite.h"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace reef::storage {

struct SweepSyncReport {
  int sweeps = 0;   // sweep folders seen
  int updated = 0;  // sweeps whose rows were (re)written
  int removed = 0;  // sweeps whose folder is gone
  std::vector<std::string> warnings;
};

SweepSyncReport syncSweeps(Database& db, const std::filesystem::path& workspace);

struct SweepSummary {
  std::string id, name, method, metric, goal, status, message, target;
  int runCap = 0;
  int trials = 0;  // trials that count towards run_cap (lost ones are replaced)
  int completed = 0, stopped = 0, failed = 0, running = 0;
  int64_t steps = 0;             // optimizer steps summed over the trials: the compute used
  std::optional<double> best;    // the best completed trial's value
  std::optional<int> bestTrial;  // its number
  std::string bestRun;           // its run id
  double started = 0, ended = 0;
};

// Every indexed sweep, oldest first.
std::vector<SweepSummary> querySweeps(Database& db);

}  // namespace reef::storage

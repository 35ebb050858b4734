#pragma once
// The queries the studio and `reef runs` need: the filtered, sorted run list with chosen
// columns, one run in full, the params that differ across runs, and decimated series.
#include "backend/protocol/json.h"
#include "storage/filter.h"
#include "storage/metric_store.h"
#include "storage/sqlite.h"

#include <optional>
#include <string>
#include <vector>

namespace reef::storage {

struct RunListOptions {
  std::string filter;            // filter.h's language
  std::string sort = "started";  // any field filter.h knows
  bool descending = true;
  std::vector<std::string> columns;  // extra fields, e.g. "val/acc.max", "optim.lr"
  int64_t limit = 0;                 // 0: all
};

struct RunRow {
  int64_t id = 0;
  std::string runId, name, status, collection, arch, experiment, path;
  std::optional<double> started, finished, lastEvent;
  std::optional<int64_t> lastStep, totalSteps;
  std::vector<Json> values;  // one per requested column
  std::vector<std::string> tags;
};

std::vector<RunRow> listRuns(Database& db, const RunListOptions& options);

// Everything the index holds about one run: its row, params, metric summaries, tags, notes,
// checkpoints, artifacts and the last log lines.
Json runDetails(Database& db, int64_t run);
// The run's own row alone (runDetails' "run"), for views that need its name, id and times but
// not its params, summaries, notes and logs.
Json runRow(Database& db, int64_t run);

// The spec keys whose values differ across `runs` (missing counts as a value), with each run's
// value in the order given.
struct ParamDifference {
  std::string key;
  std::vector<std::optional<std::string>> values;
};
std::vector<ParamDifference> differingParams(Database& db, const std::vector<int64_t>& runs);

// A run's metric decimated to `buckets` (see decimateSeries); empty when the run lacks the key.
std::vector<SeriesBucket> runSeries(Database& db, int64_t run, const std::string& key, int buckets,
                                    std::optional<int64_t> fromStep = {}, std::optional<int64_t> toStep = {});

// The metric keys a set of runs has (all runs when empty), sorted.
std::vector<std::string> metricKeys(Database& db, const std::vector<int64_t>& runs = {});

}  // namespace reef::storage

#pragma once
// Series kept in memory for a live plot: each refresh reads only the points stored since the
// last one, so redrawing ten million-point curves costs a decimation, not a database read.
#include "storage/metric_store.h"
#include "storage/sqlite.h"

#include <map>
#include <utility>
#include <vector>

namespace reef::storage {

class SeriesCache {
 public:
  // The whole series of (run, key), brought up to date with the database.
  const std::vector<MetricPoint>& series(Database& db, int64_t run, int64_t keyId);
  void forgetRun(int64_t run);
  void clear() { entries_.clear(); }

 private:
  std::map<std::pair<int64_t, int64_t>, std::vector<MetricPoint>> entries_;
};

}  // namespace reef::storage

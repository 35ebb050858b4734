#include "storage/series_cache.h"

namespace reef::storage {

const std::vector<MetricPoint>& SeriesCache::series(Database& db, int64_t run, int64_t keyId) {
  std::vector<MetricPoint>& points = entries_[{run, keyId}];
  auto count = db.prepare("SELECT count FROM metric_summary WHERE run_id = ? AND key_id = ?");
  count.bind(1, run).bind(2, keyId);
  const int64_t stored = count.step() ? count.int64(0) : 0;
  if (static_cast<int64_t>(points.size()) == stored) return points;
  if (!points.empty()) {
    std::vector<MetricPoint> fresh = readSeries(db, run, keyId, points.back().step + 1);
    points.insert(points.end(), fresh.begin(), fresh.end());
  }
  // A resumed run can replace points it had reported: then read the series again.
  if (static_cast<int64_t>(points.size()) != stored) points = readSeries(db, run, keyId);
  return points;
}

void SeriesCache::forgetRun(int64_t run) {
  for (auto it = entries_.begin(); it != entries_.end();)
    it = it->first.first == run ? entries_.erase(it) : std::next(it);
}

}  // namespace reef::storage

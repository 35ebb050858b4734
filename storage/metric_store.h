#pragma once
// Metric points of runs, stored as chunks of consecutive steps (see schema.cpp), with a summary
// per (run, key) kept current as points arrive, and min/max/first/last decimation for plots.
#include "storage/sqlite.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace reef::storage {

struct MetricPoint {
  int64_t step;
  double time;
  double value;  // NaN when the run reported no finite value
};

struct MetricSummary {
  std::optional<double> first, last, min, max, best;
  std::optional<int64_t> firstStep, lastStep, bestStep;
  int64_t count = 0;  // points, non-finite ones included
};

// One bucket of a decimated series: what a plot needs to draw one pixel column faithfully.
struct SeriesBucket {
  int64_t firstStep, lastStep;
  double first, last, min, max;  // over the bucket's finite values (NaN if it has none)
  int64_t count;
};

// Buffers points and writes them in chunks. Use inside the caller's transaction and flush()
// before committing it.
class MetricWriter {
 public:
  explicit MetricWriter(Database& db);

  int64_t keyId(const std::string& name);
  // Overrides which direction is better for this run's key (exp.monitor with monitor_mode).
  void setDirection(int64_t run, const std::string& key, bool higherIsBetter);
  void append(int64_t run, int64_t keyId, const MetricPoint& point);
  // Drops every point of the run with a step above `step` (a resumed run re-reports them).
  void truncateAfter(int64_t run, int64_t step);
  void flush();
  // Forgets cached state (after the caller rolled its transaction back).
  void discard();

  static constexpr size_t kChunkPoints = 1024;

 private:
  struct Series {
    std::vector<MetricPoint> open;   // the last chunk of the series, not full yet
    std::optional<int64_t> maxStep;  // the largest step stored, finite value or not
    MetricSummary summary;
    bool higherIsBetter = false;
    bool dirty = false;
  };
  Series& series(int64_t run, int64_t keyId);
  const std::string& keyName(int64_t keyId);
  void writeChunk(int64_t run, int64_t keyId, const std::vector<MetricPoint>& points);
  void writeSummary(int64_t run, int64_t keyId, const Series& s);
  void rewriteSeries(int64_t run, int64_t keyId, Series& s, std::vector<MetricPoint> points);

  Database& db_;
  std::map<std::string, int64_t> keyIds_;
  std::map<int64_t, std::string> keyNames_;
  std::map<std::pair<int64_t, std::string>, bool> directions_;
  std::map<std::pair<int64_t, int64_t>, Series> series_;
  Statement insertKey_, findKey_, upsertChunk_, upsertSummary_, lastChunk_, loadSummary_;
};

// Every point of a series in step order (optionally within [fromStep, toStep]).
std::vector<MetricPoint> readSeries(Database& db, int64_t run, int64_t keyId, std::optional<int64_t> fromStep = {},
                                    std::optional<int64_t> toStep = {});
// The series over [fromStep, toStep] (default: all of it) cut into `buckets` equal step ranges.
// Empty buckets are omitted.
std::vector<SeriesBucket> decimateSeries(Database& db, int64_t run, int64_t keyId, int buckets,
                                         std::optional<int64_t> fromStep = {}, std::optional<int64_t> toStep = {});
MetricSummary summarize(const std::vector<MetricPoint>& points, bool higherIsBetter);
std::optional<int64_t> findMetricKey(Database& db, const std::string& name);

}  // namespace reef::storage

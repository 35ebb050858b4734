#pragma once
// Series kept in memory for a live plot: each refresh reads only the points stored since the
// last one, and a block index (min/max per 64 points) lets a redraw decimate a million points
// into pixel columns without visiting most of them.
#include "storage/metric_store.h"
#include "storage/sqlite.h"

#include <map>
#include <utility>
#include <vector>

namespace reef::storage {

struct CachedSeries {
  static constexpr size_t kBlock = 64;
  struct Block {
    double min, max;  // over the block's finite values; NaN when it has none
  };
  // Columns rather than MetricPoint rows: a redraw touches steps and values only, and the
  // narrower arrays halve its cache misses (a redraw is memory-bound at ten million points).
  std::vector<int64_t> steps;
  std::vector<double> times;
  std::vector<double> values;
  std::vector<Block> blocks;  // block b covers points [b * kBlock, (b + 1) * kBlock)
  uint64_t generation = 0;    // changes when the series is re-read rather than extended

  size_t size() const { return steps.size(); }
  void append(const std::vector<MetricPoint>& more);
  void assign(const std::vector<MetricPoint>& all);
  // Min/max decimation over [fromStep, toStep] into `buckets` columns, as decimate() computes
  // it point by point (tests hold the two equal), in time mostly independent of the point count.
  // With `lastIndex`, also the index of each column's last point.
  std::vector<SeriesBucket> decimate(int buckets, int64_t fromStep, int64_t toStep,
                                     std::vector<size_t>* lastIndex = nullptr) const;
  // The first index at or after `from` whose step is >= `step`, by galloping from `from`: a plot
  // walks its columns left to right, so the answer is near and the search stays in cache.
  size_t seekStep(size_t from, int64_t step) const;

 private:
  void indexFrom(size_t block);
};

class SeriesCache {
 public:
  // The whole series of (run, key), brought up to date with the database.
  const CachedSeries& series(Database& db, int64_t run, int64_t keyId);
  void forgetRun(int64_t run);
  void clear() { entries_.clear(); }

 private:
  std::map<std::pair<int64_t, int64_t>, CachedSeries> entries_;
};

}  // namespace reef::storage

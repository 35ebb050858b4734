#pragma once
// Min/max decimation for plots (LabPlot's way): a series cut into equal step ranges, one per pixel
// column, keeping each range's first, last, smallest and largest value, so that a single spike
// among a million points still reaches the screen.
#include "storage/metric_store.h"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace reef::storage {

// Fed points in step order, in as many pieces as convenient (a database chunk, a whole cached
// series). Buckets cover [fromStep, toStep]; empty ones are omitted; non-finite values are counted
// but do not enter first/last/min/max.
class Decimator {
 public:
  Decimator(int buckets, int64_t fromStep, int64_t toStep);
  void add(const MetricPoint* points, size_t n);
  std::vector<SeriesBucket> take();

 private:
  int buckets_;
  int64_t s0_, s1_;
  unsigned __int128 span_;
  int64_t limit_;  // first step after the current bucket
  std::vector<SeriesBucket> out_;
};

std::vector<SeriesBucket> decimate(const MetricPoint* points, size_t n, int buckets, int64_t fromStep, int64_t toStep);

}  // namespace reef::storage

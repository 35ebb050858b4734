#include "storage/series_cache.h"

#include <algorithm>
#include <cmath>

namespace reef::storage {

size_t CachedSeries::seekStep(size_t from, int64_t step) const {
  const size_t n = steps.size();
  if (from >= n || steps[from] >= step) return from;
  // Most series are logged at a regular interval: the local stride predicts the answer in one
  // probe (checked exactly, so an irregular series only loses the probe). A dashboard of 240
  // curves seeks once per pixel column of each.
  if (from + 1 < n && steps[from + 1] > steps[from]) {
    const int64_t stride = steps[from + 1] - steps[from];
    const size_t guess = from + static_cast<size_t>((step - steps[from] + stride - 1) / stride);
    if (guess <= n && steps[guess - 1] < step && (guess == n || steps[guess] >= step)) return guess;
  }
  size_t lo = from, jump = 1;  // steps[lo] < step
  while (lo + jump < n && steps[lo + jump] < step) {
    lo += jump;
    jump *= 2;
  }
  size_t hi = std::min(n, lo + jump);  // steps[hi] >= step, or hi == n
  while (hi - lo > 1) {
    const size_t mid = lo + (hi - lo) / 2;
    (steps[mid] < step ? lo : hi) = mid;
  }
  return hi;
}

void CachedSeries::append(const std::vector<MetricPoint>& more) {
  if (more.empty()) return;
  const size_t firstTouched = steps.size() / kBlock;
  for (const auto& p : more) {
    steps.push_back(p.step);
    times.push_back(p.time);
    values.push_back(p.value);
  }
  indexFrom(firstTouched);
}

void CachedSeries::assign(const std::vector<MetricPoint>& all) {
  ++generation;
  steps.clear();
  times.clear();
  values.clear();
  blocks.clear();
  append(all);
}

void CachedSeries::indexFrom(size_t block) {
  const size_t count = (values.size() + kBlock - 1) / kBlock;
  blocks.resize(count);
  for (size_t b = block; b < count; ++b) {
    double lo = INFINITY, hi = -INFINITY;
    const size_t end = std::min(values.size(), (b + 1) * kBlock);
    for (size_t i = b * kBlock; i < end; ++i) {
      const double v = values[i];
      if (!std::isfinite(v)) continue;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    blocks[b] = lo <= hi ? Block{lo, hi} : Block{NAN, NAN};
  }
}

std::vector<SeriesBucket> CachedSeries::decimate(int buckets, int64_t s0, int64_t s1,
                                                 std::vector<size_t>* lastIndex) const {
  std::vector<SeriesBucket> out;
  if (lastIndex) lastIndex->clear();
  if (buckets <= 0 || steps.empty() || s1 < s0) return out;
  const auto span = static_cast<unsigned __int128>(s1 - s0) + 1;
  const auto w = static_cast<unsigned>(buckets);
  auto scan = [&](SeriesBucket& b, size_t from, size_t to) {
    for (size_t i = from; i < to; ++i) {
      const double v = values[i];
      if (!std::isfinite(v)) continue;
      b.min = std::min(b.min, v);
      b.max = std::max(b.max, v);
    }
  };
  size_t i = seekStep(0, s0);
  while (i < steps.size() && steps[i] <= s1) {
    // The bucket of point i, and the first point past it.
    const auto index = static_cast<unsigned __int128>(steps[i] - s0) * w / span;
    const int64_t limit = s0 + static_cast<int64_t>(((index + 1) * span + w - 1) / w);
    const size_t end = seekStep(i, limit);
    SeriesBucket b{steps[i], steps[end - 1], NAN, NAN, INFINITY, -INFINITY, static_cast<int64_t>(end - i)};
    // Whole blocks inside [i, end) use their summary; the ragged ends are scanned.
    const size_t firstBlock = (i + kBlock - 1) / kBlock, lastBlock = end / kBlock;
    if (firstBlock < lastBlock) {
      scan(b, i, firstBlock * kBlock);
      for (size_t k = firstBlock; k < lastBlock; ++k)
        if (!std::isnan(blocks[k].min)) {
          b.min = std::min(b.min, blocks[k].min);
          b.max = std::max(b.max, blocks[k].max);
        }
      scan(b, lastBlock * kBlock, end);
    } else {
      scan(b, i, end);
    }
    for (size_t k = i; k < end; ++k)
      if (std::isfinite(values[k])) {
        b.first = values[k];
        break;
      }
    for (size_t k = end; k > i; --k)
      if (std::isfinite(values[k - 1])) {
        b.last = values[k - 1];
        break;
      }
    if (std::isnan(b.first)) b.min = b.max = NAN;
    out.push_back(b);
    if (lastIndex) lastIndex->push_back(end - 1);
    i = end;
  }
  return out;
}

const CachedSeries& SeriesCache::series(Database& db, int64_t run, int64_t keyId) {
  CachedSeries& cached = entries_[{run, keyId}];
  auto count = db.prepare("SELECT count FROM metric_summary WHERE run_id = ? AND key_id = ?");
  count.bind(1, run).bind(2, keyId);
  const int64_t stored = count.step() ? count.int64(0) : 0;
  if (static_cast<int64_t>(cached.size()) == stored) return cached;
  if (cached.size() > 0) cached.append(readSeries(db, run, keyId, cached.steps.back() + 1));
  // A resumed run can replace points it had reported: then read the series again.
  if (static_cast<int64_t>(cached.size()) != stored) cached.assign(readSeries(db, run, keyId));
  return cached;
}

void SeriesCache::forgetRun(int64_t run) {
  for (auto it = entries_.begin(); it != entries_.end();)
    it = it->first.first == run ? entries_.erase(it) : std::next(it);
}

}  // namespace reef::storage

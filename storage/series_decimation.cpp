#include "storage/series_decimation.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace reef::storage {

Decimator::Decimator(int buckets, int64_t fromStep, int64_t toStep)
    : buckets_(buckets),
      s0_(fromStep),
      s1_(toStep),
      span_(toStep >= fromStep ? static_cast<unsigned __int128>(toStep - fromStep) + 1 : 0),
      limit_(fromStep) {
  if (buckets <= 0) throw std::invalid_argument("decimation needs at least one bucket");
}

void Decimator::add(const MetricPoint* p, size_t n) {
  const MetricPoint* end = p + n;
  const auto byStep = [](const MetricPoint& a, int64_t s) { return a.step < s; };
  if (p != end && p->step < s0_) p = std::lower_bound(p, end, s0_, byStep);
  while (p != end && p->step <= s1_) {
    if (p->step >= limit_) {
      // Bucket b holds the steps s with floor((s - s0) * buckets / span) == b.
      const auto w = static_cast<unsigned>(buckets_);
      const auto b = static_cast<unsigned __int128>(p->step - s0_) * w / span_;
      limit_ = s0_ + static_cast<int64_t>(((b + 1) * span_ + w - 1) / w);
      out_.push_back({p->step, p->step, NAN, NAN, INFINITY, -INFINITY, 0});
    }
    // The points of this bucket in this piece: a short scan, or a binary search for long runs.
    const MetricPoint* q = p;
    if (end - p > 64 && (p + 64)->step < limit_) q = std::lower_bound(p + 64, end, limit_, byStep);
    while (q != end && q->step < limit_) ++q;
    SeriesBucket& bucket = out_.back();
    bucket.lastStep = (q - 1)->step;
    bucket.count += q - p;
    for (const MetricPoint* i = p; i != q; ++i) {
      const double v = i->value;
      if (!std::isfinite(v)) continue;
      if (std::isnan(bucket.first)) bucket.first = v;
      bucket.last = v;
      bucket.min = std::min(bucket.min, v);
      bucket.max = std::max(bucket.max, v);
    }
    p = q;
  }
}

std::vector<SeriesBucket> Decimator::take() {
  for (auto& b : out_)
    if (std::isnan(b.first)) b.min = b.max = NAN;
  return std::move(out_);
}

std::vector<SeriesBucket> decimate(const MetricPoint* points, size_t n, int buckets, int64_t fromStep, int64_t toStep) {
  Decimator d(buckets, fromStep, toStep);
  d.add(points, n);
  return d.take();
}

}  // namespace reef::storage

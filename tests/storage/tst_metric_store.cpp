// Chunked metric storage: summaries and decimation agree with a brute-force computation over
// the same points, across chunk boundaries, with out-of-order points, truncation and NaN.
#include "storage/metric_store.h"
#include "storage/schema.h"
#include "storage/series_cache.h"
#include "storage/series_decimation.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <random>

using namespace reef::storage;
namespace storage = reef::storage;

namespace {

struct Fixture {
  QTemporaryDir dir;
  Database db{std::filesystem::path(dir.path().toStdString()) / "t.db"};
  Fixture() {
    migrate(db);
    db.exec("INSERT INTO runs(run_id, path) VALUES('a', '/a')");
  }
};

std::vector<SeriesBucket> bruteForce(const std::vector<MetricPoint>& points, int buckets) {
  std::vector<SeriesBucket> out;
  if (points.empty()) return out;
  const int64_t s0 = points.front().step, span = points.back().step - s0 + 1;
  int64_t current = -1;
  for (const auto& p : points) {
    const int64_t b = (p.step - s0) * buckets / span;
    if (b != current) {
      out.push_back({p.step, p.step, NAN, NAN, NAN, NAN, 0});
      current = b;
    }
    auto& k = out.back();
    k.lastStep = p.step;
    ++k.count;
    if (!std::isfinite(p.value)) continue;
    if (std::isnan(k.first)) k.first = k.min = k.max = p.value;
    k.last = p.value;
    k.min = std::min(k.min, p.value);
    k.max = std::max(k.max, p.value);
  }
  return out;
}

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

}  // namespace

class TestMetricStore : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void summaryAndPointsSurviveChunkBoundariesAndBatches() {
    Fixture f;
    MetricWriter w(f.db);
    const int64_t key = w.keyId("val/loss");
    std::vector<MetricPoint> expected;
    std::mt19937 rng(3);
    std::normal_distribution<double> noise;
    // Several flushes (as separate ingest batches would do), 3.5 chunks in all.
    for (int batch = 0; batch < 7; ++batch) {
      for (int i = 0; i < 512; ++i) {
        const int64_t step = batch * 512 + i;
        MetricPoint p{step * 10, 1e9 + step, step == 1000 ? NAN : noise(rng)};
        w.append(1, key, p);
        expected.push_back(p);
      }
      w.flush();
    }
    const auto stored = readSeries(f.db, 1, key);
    QCOMPARE(stored.size(), expected.size());
    for (size_t i = 0; i < stored.size(); ++i) {
      QCOMPARE(stored[i].step, expected[i].step);
      QVERIFY(same(stored[i].value, expected[i].value));
    }
    auto count = f.db.prepare("SELECT count(*), sum(count) FROM metric_chunks");
    count.step();
    QCOMPARE(count.int64(0), int64_t(4));
    QCOMPARE(count.int64(1), int64_t(3584));

    const MetricSummary brute = summarize(expected, /*higherIsBetter=*/false);
    auto s = f.db.prepare("SELECT first, last, min, max, count, best, best_step FROM metric_summary");
    QVERIFY(s.step());
    QCOMPARE(s.real(0), *brute.first);
    QCOMPARE(s.real(1), *brute.last);
    QCOMPARE(s.real(2), *brute.min);
    QCOMPARE(s.real(3), *brute.max);
    QCOMPARE(s.int64(4), int64_t(3584));  // the NaN point counts, but is not a value
    QCOMPARE(s.real(5), *brute.min);      // loss: lower is better
    QCOMPARE(s.int64(6), *brute.bestStep);
  }

  void bestFollowsTheMetricsDirection() {
    Fixture f;
    MetricWriter w(f.db);
    const int64_t acc = w.keyId("val/acc");
    const int64_t custom = w.keyId("custom/score_thing");
    w.setDirection(1, "custom/score_thing", false);
    for (int s = 0; s < 5; ++s) {
      w.append(1, acc, {s, 0, 0.5 + 0.1 * (s % 3)});
      w.append(1, custom, {s, 0, 0.5 + 0.1 * (s % 3)});
    }
    w.flush();
    auto q = f.db.prepare("SELECT best, best_step FROM metric_summary WHERE key_id = ?");
    q.bind(1, acc);
    QVERIFY(q.step());
    QVERIFY(std::abs(q.real(0) - 0.7) < 1e-12);
    QCOMPARE(q.int64(1), int64_t(2));
    q.reset();
    q.bind(1, custom);
    QVERIFY(q.step());
    QCOMPARE(q.real(0), 0.5);
    QCOMPARE(q.int64(1), int64_t(0));
  }

  void repeatedAndOutOfOrderStepsReplaceOrInsert() {
    Fixture f;
    MetricWriter w(f.db);
    const int64_t key = w.keyId("train/loss");
    for (int s = 0; s < 2000; s += 2) w.append(1, key, {s, 0, 1.0});
    w.append(1, key, {1000, 0, -5.0});  // replaces
    w.append(1, key, {1001, 0, 9.0});   // inserts between
    w.flush();
    const auto points = readSeries(f.db, 1, key);
    QCOMPARE(points.size(), size_t(1001));
    auto at = [&](int64_t step) -> double {
      for (const auto& p : points)
        if (p.step == step) return p.value;
      return NAN;
    };
    QCOMPARE(at(1000), -5.0);
    QCOMPARE(at(1001), 9.0);
    auto s = f.db.prepare("SELECT min, max, count FROM metric_summary");
    s.step();
    QCOMPARE(s.real(0), -5.0);
    QCOMPARE(s.real(1), 9.0);
    QCOMPARE(s.int64(2), int64_t(1001));
  }

  void truncateDropsLaterStepsAndFixesSummaries() {
    Fixture f;
    MetricWriter w(f.db);
    const int64_t key = w.keyId("train/loss");
    for (int s = 1; s <= 3000; ++s) w.append(1, key, {s, 0, s >= 2500 ? -100.0 : 1.0 / s});
    w.flush();
    w.truncateAfter(1, 2000);
    for (int s = 2001; s <= 2100; ++s) w.append(1, key, {s, 0, 0.25});
    w.flush();
    const auto points = readSeries(f.db, 1, key);
    QCOMPARE(points.size(), size_t(2100));
    QCOMPARE(points.back().step, int64_t(2100));
    auto s = f.db.prepare("SELECT min, last, count FROM metric_summary");
    s.step();
    QCOMPARE(s.real(0), 1.0 / 2000);  // the -100 values after step 2500 are gone
    QCOMPARE(s.real(1), 0.25);
    QCOMPARE(s.int64(2), int64_t(2100));
  }

  void seekFindsTheFirstStepAtOrAfterFromAnyStart() {
    // Regular strides take the one-probe path; a change of stride and a repeated step do not.
    std::vector<MetricPoint> points;
    for (int64_t s = 10; s <= 500; s += 10) points.push_back({s, 0, 1});
    for (int64_t s = 503; s <= 600; s += 3) points.push_back({s, 0, 1});
    points.push_back({600, 0, 1});
    for (int64_t s = 700; s <= 720; ++s) points.push_back({s, 0, 1});
    storage::CachedSeries series;
    series.assign(points);
    for (size_t from = 0; from <= points.size(); ++from)
      for (int64_t step = 0; step <= 730; ++step) {
        const auto begin = series.steps.begin() + static_cast<std::ptrdiff_t>(from);
        const auto want = static_cast<size_t>(std::lower_bound(begin, series.steps.end(), step) - series.steps.begin());
        if (series.seekStep(from, step) != want)
          QFAIL(qPrintable(
              QString("seekStep(%1, %2): %3, want %4").arg(from).arg(step).arg(series.seekStep(from, step)).arg(want)));
      }
  }

  void decimationKeepsSpikesAndMatchesBruteForce() {
    Fixture f;
    MetricWriter w(f.db);
    const int64_t key = w.keyId("train/loss");
    std::vector<MetricPoint> points;
    std::mt19937 rng(5);
    std::uniform_int_distribution<int> gap(1, 3);
    int64_t step = 7;
    for (int i = 0; i < 20000; ++i) {
      step += gap(rng);
      const double v = i == 12345 ? 1e6 : (i % 777 == 0 ? NAN : std::sin(i * 0.01));
      points.push_back({step, 0, v});
      w.append(1, key, points.back());
    }
    w.flush();
    for (int buckets : {1, 7, 640, 2000}) {
      const auto got = decimateSeries(f.db, 1, key, buckets);
      const auto want = bruteForce(points, buckets);
      QCOMPARE(got.size(), want.size());
      for (size_t i = 0; i < got.size(); ++i) {
        QCOMPARE(got[i].firstStep, want[i].firstStep);
        QCOMPARE(got[i].lastStep, want[i].lastStep);
        QCOMPARE(got[i].count, want[i].count);
        QVERIFY(same(got[i].min, want[i].min) && same(got[i].max, want[i].max));
        QVERIFY(same(got[i].first, want[i].first) && same(got[i].last, want[i].last));
      }
      double highest = 0;
      for (const auto& b : got) highest = std::max(highest, b.max);
      QCOMPARE(highest, 1e6);  // the spike survives any bucket count
    }
    // The plot's in-memory path (block index) gives the same columns as the point-by-point one.
    storage::CachedSeries cached;
    cached.assign({points.begin(), points.begin() + 7000});
    cached.append({points.begin() + 7000, points.end()});
    for (int buckets : {3, 333, 1521}) {
      const auto viaBlocks = cached.decimate(buckets, 50, 30000);
      const auto direct = storage::decimate(points.data(), points.size(), buckets, 50, 30000);
      QCOMPARE(viaBlocks.size(), direct.size());
      for (size_t i = 0; i < direct.size(); ++i) {
        QCOMPARE(viaBlocks[i].firstStep, direct[i].firstStep);
        QCOMPARE(viaBlocks[i].lastStep, direct[i].lastStep);
        QCOMPARE(viaBlocks[i].count, direct[i].count);
        QVERIFY(same(viaBlocks[i].min, direct[i].min) && same(viaBlocks[i].max, direct[i].max));
        QVERIFY(same(viaBlocks[i].first, direct[i].first) && same(viaBlocks[i].last, direct[i].last));
      }
    }
    // A step window.
    const auto window = decimateSeries(f.db, 1, key, 10, 1000, 2000);
    QVERIFY(!window.empty());
    QVERIFY(window.front().firstStep >= 1000 && window.back().lastStep <= 2000);
  }
};

QTEST_APPLESS_MAIN(TestMetricStore)
#include "tst_metric_store.moc"

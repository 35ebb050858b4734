#include "storage/metric_store.h"

#include "storage/metric_direction.h"
#include "storage/series_decimation.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace reef::storage {

namespace {

// Chunk layout: int64 steps[n], then double times[n], then double values[n].
std::vector<uint8_t> encodeChunk(const std::vector<MetricPoint>& points) {
  const size_t n = points.size();
  std::vector<uint8_t> blob(24 * n);
  for (size_t i = 0; i < n; ++i) {
    std::memcpy(blob.data() + 8 * i, &points[i].step, 8);
    std::memcpy(blob.data() + 8 * (n + i), &points[i].time, 8);
    std::memcpy(blob.data() + 8 * (2 * n + i), &points[i].value, 8);
  }
  return blob;
}

// A read-only view of a chunk's arrays inside SQLite's blob memory (which need not be aligned).
struct ChunkView {
  const uint8_t* data;
  size_t n;
  int64_t step(size_t i) const {
    int64_t v;
    std::memcpy(&v, data + 8 * i, 8);
    return v;
  }
  double time(size_t i) const {
    double v;
    std::memcpy(&v, data + 8 * (n + i), 8);
    return v;
  }
  double value(size_t i) const {
    double v;
    std::memcpy(&v, data + 8 * (2 * n + i), 8);
    return v;
  }
};

ChunkView viewOf(const Statement& s, int column, int64_t count) {
  const auto n = static_cast<size_t>(count);
  if (static_cast<size_t>(s.blobSize(column)) != 24 * n)
    throw std::runtime_error("metric chunk holds " + std::to_string(s.blobSize(column)) + " bytes for " +
                             std::to_string(n) + " points: the database is corrupt; rebuild it with `reef db rebuild`");
  return {static_cast<const uint8_t*>(s.blob(column)), n};
}

void addToSummary(MetricSummary& s, const MetricPoint& p, bool higher) {
  ++s.count;
  if (!std::isfinite(p.value)) return;
  if (!s.first) {
    s.first = p.value;
    s.firstStep = p.step;
  }
  s.last = p.value;
  s.lastStep = p.step;
  s.min = s.min ? std::min(*s.min, p.value) : p.value;
  s.max = s.max ? std::max(*s.max, p.value) : p.value;
  if (!s.best || (higher ? p.value > *s.best : p.value < *s.best)) {
    s.best = p.value;
    s.bestStep = p.step;
  }
}

}  // namespace

MetricSummary summarize(const std::vector<MetricPoint>& points, bool higherIsBetter) {
  MetricSummary s;
  for (const auto& p : points) addToSummary(s, p, higherIsBetter);
  return s;
}

std::optional<int64_t> findMetricKey(Database& db, const std::string& name) {
  auto s = db.prepare("SELECT id FROM metric_keys WHERE name = ?");
  s.bind(1, name);
  if (!s.step()) return std::nullopt;
  return s.int64(0);
}

MetricWriter::MetricWriter(Database& db)
    : db_(db),
      insertKey_(db.prepare("INSERT INTO metric_keys(name) VALUES(?)")),
      findKey_(db.prepare("SELECT id FROM metric_keys WHERE name = ?")),
      upsertChunk_(db.prepare("INSERT OR REPLACE INTO metric_chunks(run_id, key_id, first_step, last_step, count, min, "
                              "max, data) VALUES(?,?,?,?,?,?,?,?)")),
      upsertSummary_(db.prepare("INSERT OR REPLACE INTO metric_summary(run_id, key_id, first, first_step, last, "
                                "last_step, min, max, count, best, best_step) VALUES(?,?,?,?,?,?,?,?,?,?,?)")),
      lastChunk_(db.prepare("SELECT count, data FROM metric_chunks WHERE run_id = ? AND key_id = ? "
                            "ORDER BY first_step DESC LIMIT 1")),
      loadSummary_(db.prepare("SELECT first, first_step, last, last_step, min, max, count, best, best_step "
                              "FROM metric_summary WHERE run_id = ? AND key_id = ?")) {}

int64_t MetricWriter::keyId(const std::string& name) {
  if (auto it = keyIds_.find(name); it != keyIds_.end()) return it->second;
  findKey_.bind(1, name);
  int64_t id;
  if (findKey_.step()) {
    id = findKey_.int64(0);
    findKey_.reset();
  } else {
    findKey_.reset();
    insertKey_.bind(1, name).run();
    id = db_.lastInsertId();
  }
  keyIds_[name] = id;
  keyNames_[id] = name;
  return id;
}

const std::string& MetricWriter::keyName(int64_t keyId) {
  if (auto it = keyNames_.find(keyId); it != keyNames_.end()) return it->second;
  auto s = db_.prepare("SELECT name FROM metric_keys WHERE id = ?");
  s.bind(1, keyId);
  if (!s.step()) throw std::logic_error("metric key " + std::to_string(keyId) + " does not exist");
  return keyNames_[keyId] = s.text(0);
}

void MetricWriter::setDirection(int64_t run, const std::string& key, bool higher) { directions_[{run, key}] = higher; }

MetricWriter::Series& MetricWriter::series(int64_t run, int64_t keyId) {
  auto [it, inserted] = series_.try_emplace({run, keyId});
  Series& s = it->second;
  if (!inserted) return s;
  auto d = directions_.find({run, keyName(keyId)});
  s.higherIsBetter = d != directions_.end() ? d->second : higherIsBetter(keyName(keyId));
  loadSummary_.bind(1, run).bind(2, keyId);
  if (loadSummary_.step()) {
    auto optStep = [&](int c) {
      return loadSummary_.isNull(c) ? std::nullopt : std::optional<int64_t>(loadSummary_.int64(c));
    };
    s.summary = {loadSummary_.optionalReal(0),
                 loadSummary_.optionalReal(2),
                 loadSummary_.optionalReal(4),
                 loadSummary_.optionalReal(5),
                 loadSummary_.optionalReal(7),
                 optStep(1),
                 optStep(3),
                 optStep(8),
                 loadSummary_.int64(6)};
  }
  loadSummary_.reset();
  lastChunk_.bind(1, run).bind(2, keyId);
  if (lastChunk_.step()) {
    const int64_t count = lastChunk_.int64(0);
    const ChunkView v = viewOf(lastChunk_, 1, count);
    if (static_cast<size_t>(count) < kChunkPoints)
      for (size_t i = 0; i < v.n; ++i) s.open.push_back({v.step(i), v.time(i), v.value(i)});
    s.maxStep = v.n ? std::optional<int64_t>(v.step(v.n - 1)) : std::nullopt;
  }
  lastChunk_.reset();
  return s;
}

void MetricWriter::append(int64_t run, int64_t keyId, const MetricPoint& point) {
  Series& s = series(run, keyId);
  if (s.maxStep && point.step <= *s.maxStep) {
    // Out of order or a repeated step (rare): merge into the stored series and rewrite it.
    flush();  // drops `s`: everything is reloaded from the database below
    std::vector<MetricPoint> points = readSeries(db_, run, keyId);
    auto at = std::lower_bound(points.begin(), points.end(), point.step,
                               [](const MetricPoint& p, int64_t step) { return p.step < step; });
    if (at != points.end() && at->step == point.step)
      *at = point;
    else
      points.insert(at, point);
    rewriteSeries(run, keyId, series(run, keyId), std::move(points));
    return;
  }
  s.open.push_back(point);
  s.maxStep = point.step;
  addToSummary(s.summary, point, s.higherIsBetter);
  s.dirty = true;
  if (s.open.size() == kChunkPoints) {
    writeChunk(run, keyId, s.open);
    s.open.clear();
  }
}

void MetricWriter::writeChunk(int64_t run, int64_t keyId, const std::vector<MetricPoint>& points) {
  if (points.empty()) return;
  double lo = NAN, hi = NAN;
  for (const auto& p : points)
    if (std::isfinite(p.value)) {
      lo = std::isnan(lo) ? p.value : std::min(lo, p.value);
      hi = std::isnan(hi) ? p.value : std::max(hi, p.value);
    }
  const auto blob = encodeChunk(points);
  upsertChunk_.bind(1, run)
      .bind(2, keyId)
      .bind(3, points.front().step)
      .bind(4, points.back().step)
      .bind(5, static_cast<int64_t>(points.size()))
      .bind(6, lo)
      .bind(7, hi)
      .bindBlob(8, blob.data(), blob.size())
      .run();
}

void MetricWriter::writeSummary(int64_t run, int64_t keyId, const Series& s) {
  const MetricSummary& m = s.summary;
  upsertSummary_.bind(1, run)
      .bind(2, keyId)
      .bind(3, m.first)
      .bind(4, m.firstStep)
      .bind(5, m.last)
      .bind(6, m.lastStep)
      .bind(7, m.min)
      .bind(8, m.max)
      .bind(9, m.count)
      .bind(10, m.best)
      .bind(11, m.bestStep)
      .run();
}

void MetricWriter::rewriteSeries(int64_t run, int64_t keyId, Series& s, std::vector<MetricPoint> points) {
  auto del = db_.prepare("DELETE FROM metric_chunks WHERE run_id = ? AND key_id = ?");
  del.bind(1, run).bind(2, keyId).run();
  s.open.clear();
  size_t i = 0;
  for (; i + kChunkPoints <= points.size(); i += kChunkPoints)
    writeChunk(run, keyId, std::vector<MetricPoint>(points.begin() + i, points.begin() + i + kChunkPoints));
  s.open.assign(points.begin() + i, points.end());
  s.summary = summarize(points, s.higherIsBetter);
  s.maxStep = points.empty() ? std::nullopt : std::optional<int64_t>(points.back().step);
  s.dirty = true;
  if (points.empty()) {
    auto drop = db_.prepare("DELETE FROM metric_summary WHERE run_id = ? AND key_id = ?");
    drop.bind(1, run).bind(2, keyId).run();
    s.dirty = false;
  }
}

void MetricWriter::truncateAfter(int64_t run, int64_t step) {
  flush();
  auto keys = db_.prepare("SELECT DISTINCT key_id FROM metric_chunks WHERE run_id = ? AND last_step > ?");
  keys.bind(1, run).bind(2, step);
  std::vector<int64_t> affected;
  while (keys.step()) affected.push_back(keys.int64(0));
  for (int64_t keyId : affected) {
    Series& s = series(run, keyId);
    std::vector<MetricPoint> points = readSeries(db_, run, keyId, std::nullopt, step);
    rewriteSeries(run, keyId, s, std::move(points));
  }
  flush();
}

void MetricWriter::flush() {
  for (auto& [id, s] : series_)
    if (s.dirty) {
      writeChunk(id.first, id.second, s.open);
      writeSummary(id.first, id.second, s);
    }
  // Everything is in the database now; series reload lazily, so memory stays bounded however
  // many runs one writer ingests.
  series_.clear();
}

void MetricWriter::discard() {
  series_.clear();
  keyIds_.clear();
  keyNames_.clear();
}

std::vector<MetricPoint> readSeries(Database& db, int64_t run, int64_t keyId, std::optional<int64_t> fromStep,
                                    std::optional<int64_t> toStep) {
  auto s = db.prepare(
      "SELECT count, data FROM metric_chunks WHERE run_id = ? AND key_id = ? AND last_step >= ? "
      "AND first_step <= ? ORDER BY first_step");
  const int64_t lo = fromStep.value_or(INT64_MIN), hi = toStep.value_or(INT64_MAX);
  s.bind(1, run).bind(2, keyId).bind(3, lo).bind(4, hi);
  std::vector<MetricPoint> out;
  while (s.step()) {
    const ChunkView v = viewOf(s, 1, s.int64(0));
    for (size_t i = 0; i < v.n; ++i) {
      const int64_t step = v.step(i);
      if (step >= lo && step <= hi) out.push_back({step, v.time(i), v.value(i)});
    }
  }
  return out;
}

std::vector<SeriesBucket> decimateSeries(Database& db, int64_t run, int64_t keyId, int buckets,
                                         std::optional<int64_t> fromStep, std::optional<int64_t> toStep) {
  if (!fromStep || !toStep) {
    auto range =
        db.prepare("SELECT min(first_step), max(last_step) FROM metric_chunks WHERE run_id = ? AND key_id = ?");
    range.bind(1, run).bind(2, keyId);
    if (!range.step() || range.isNull(0)) return {};
    if (!fromStep) fromStep = range.int64(0);
    if (!toStep) toStep = range.int64(1);
  }
  // Streamed chunk by chunk: a million points never sit in memory at once.
  Decimator decimator(buckets, *fromStep, *toStep);
  std::vector<MetricPoint> piece;
  auto s = db.prepare(
      "SELECT count, data FROM metric_chunks WHERE run_id = ? AND key_id = ? AND last_step >= ? "
      "AND first_step <= ? ORDER BY first_step");
  s.bind(1, run).bind(2, keyId).bind(3, *fromStep).bind(4, *toStep);
  while (s.step()) {
    const ChunkView v = viewOf(s, 1, s.int64(0));
    piece.resize(v.n);
    for (size_t i = 0; i < v.n; ++i) piece[i] = {v.step(i), 0.0, v.value(i)};
    decimator.add(piece.data(), piece.size());
  }
  return decimator.take();
}

}  // namespace reef::storage

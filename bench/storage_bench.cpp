// Benchmark of the run index (storage/): ingest rate from events.jsonl and from the metric writer
// alone, the filtered and sorted run list over 10,000 runs x 20 metrics, and the decimation of a
// 1,000,000-point series to 2,000 buckets. Prints each figure beside its bar.
//
//   reef-bench-storage [--dir DIR]   (default: a fresh folder under /tmp)
#include "backend/protocol/event_log.h"
#include "bench/bench_util.h"
#include "storage/metric_store.h"
#include "storage/run_query.h"
#include "storage/schema.h"
#include "storage/workspace_index.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace reef;
using namespace reef::storage;
using Clock = std::chrono::steady_clock;

namespace {

double msSince(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

using reef::bench::median;

const std::vector<std::string> kMetricNames = {
    "train/loss",   "train/lr", "train/grad_norm",   "train/epoch",  "perf/samples_per_s",
    "perf/step_ms", "val/loss", "val/acc",           "val/macro_f1", "val/wer",
    "val/cer",      "test/acc", "test/loss",         "train/acc",    "train/ppl",
    "val/ppl",      "val/bpb",  "perf/tokens_per_s", "system/cpu",   "system/rss"};

// A run directory whose events.jsonl holds `steps` metric lines of 20 values each.
fs::path writeRun(const fs::path& workspace, const std::string& id, int steps) {
  const fs::path dir = workspace / "runs" / id;
  fs::create_directories(dir);
  std::ofstream(dir / "spec.yaml")
      << "model: {collection: vision, arch: cnn, width: 32}\noptim: {name: adamw, lr: 0.001}\n"
         "exp: {name: bench, seed: 1, monitor: val/acc, monitor_mode: max}\n";
  std::ofstream out(dir / "events.jsonl");
  out << R"({"v":1,"t":"run_started","time":1.8e9,"world_size":1})"
      << "\n";
  std::mt19937 rng(1);
  std::normal_distribution<double> noise(0, 0.01);
  char buf[128];
  for (int s = 1; s <= steps; ++s) {
    std::string line = "{\"v\":1,\"t\":\"metric\",\"time\":" + std::to_string(1.8e9 + s * 0.01) +
                       ",\"step\":" + std::to_string(s) + ",\"values\":{";
    for (size_t k = 0; k < kMetricNames.size(); ++k) {
      std::snprintf(buf, sizeof buf, "%s\"%s\":%.17g", k ? "," : "", kMetricNames[k].c_str(),
                    1.0 / std::sqrt(s + k) + noise(rng));
      line += buf;
    }
    out << line << "}}\n";
  }
  return dir;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path root = argc > 2 && std::string(argv[1]) == "--dir"
                      ? fs::path(argv[2])
                      : fs::temp_directory_path() / ("reef-bench-storage-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);
  try {
    // 1. Ingest from events.jsonl, the whole path: read, parse, chunk, write.
    {
      const fs::path ws = root / "ingest";
      const fs::path run = writeRun(ws, "run-ingest", 100000);
      WorkspaceIndex index(ws);
      const auto t = Clock::now();
      const IngestReport r = index.syncRun(run);
      const double ms = msSince(t);
      std::printf(
          "ingest events.jsonl: %lld points (%lld lines, %.1f MB) in %.0f ms = %.2f M points/s   (bar: >= 1 M/s)\n",
          static_cast<long long>(r.points), static_cast<long long>(r.lines), fs::file_size(run / "events.jsonl") / 1e6,
          ms, r.points / ms / 1000.0);
    }
    // 2. The database side alone: the metric writer with prepared statements in a WAL transaction.
    {
      Database db(root / "writer.db");
      migrate(db);
      db.exec("INSERT INTO runs(run_id, path) VALUES('w', '/w')");
      MetricWriter writer(db);
      std::vector<int64_t> keys;
      for (const auto& k : kMetricNames) keys.push_back(writer.keyId(k));
      const int steps = 100000;
      const auto t = Clock::now();
      Transaction tx(db);
      for (int s = 1; s <= steps; ++s)
        for (size_t k = 0; k < keys.size(); ++k) writer.append(1, keys[k], {s, 1.8e9 + s, 1.0 / std::sqrt(s + k)});
      writer.flush();
      tx.commit();
      const double ms = msSince(t);
      std::printf("metric writer alone: %d points in %.0f ms = %.2f M points/s\n", steps * 20, ms,
                  steps * 20 / ms / 1000.0);
    }
    // 3. 10,000 runs x 20 metrics: the filtered, sorted run list.
    {
      const fs::path ws = root / "many";
      fs::create_directories(ws / "runs");
      WorkspaceIndex index(ws);
      Database& db = index.db();
      const auto t = Clock::now();
      {
        Transaction tx(db);
        MetricWriter writer(db);
        std::vector<int64_t> keys;
        for (const auto& k : kMetricNames) keys.push_back(writer.keyId(k));
        auto run =
            db.prepare("INSERT INTO runs(run_id, path, name, status, collection, arch, started) VALUES(?,?,?,?,?,?,?)");
        auto param = db.prepare("INSERT INTO params(run_id, key, type, num, text) VALUES(?,?,?,?,?)");
        auto tag = db.prepare("INSERT INTO tags(run_id, tag) VALUES(?,?)");
        std::mt19937 rng(7);
        std::uniform_real_distribution<double> u(0, 1);
        const char* statuses[] = {"completed", "completed", "completed", "failed", "running", "cancelled"};
        for (int i = 0; i < 10000; ++i) {
          const std::string id = "run-" + std::to_string(100000 + i);
          run.bind(1, id).bind(2, (ws / "runs" / id).string()).bind(3, "sweep-" + std::to_string(i % 50));
          run.bind(4, statuses[i % 6]).bind(5, "vision").bind(6, i % 3 ? "cnn" : "vit").bind(7, 1.8e9 + i).run();
          const int64_t r = db.lastInsertId();
          const double lr = std::pow(10.0, -4 + 3 * u(rng));
          for (int p = 0; p < 40; ++p) {
            const std::string key = p == 0 ? "optim.lr" : "model.p" + std::to_string(p);
            const double v = p == 0 ? lr : static_cast<double>(i % (p + 2));
            param.bind(1, r).bind(2, key).bind(3, "float").bind(4, v).bind(5, std::to_string(v)).run();
          }
          if (i % 10 == 0) tag.bind(1, r).bind(2, "baseline").run();
          for (size_t k = 0; k < keys.size(); ++k)
            for (int s = 1; s <= 5; ++s) writer.append(r, keys[k], {s * 100, 1.8e9 + s, u(rng)});
          if (i % 500 == 499) writer.flush();
        }
        writer.flush();
        tx.commit();
      }
      std::printf("(built 10,000 runs x 20 metrics x 5 points and 40 params each in %.1f s)\n", msSince(t) / 1000);
      RunListOptions q{"status = completed and optim.lr < 1e-3 and val/acc.max > 0.5",
                       "val/loss.min",
                       false,
                       {"val/acc.max", "train/loss.last", "optim.lr"},
                       0};
      std::vector<double> times;
      size_t count = 0;
      for (int i = 0; i < 5; ++i) {
        const auto t0 = Clock::now();
        count = listRuns(db, q).size();
        times.push_back(msSince(t0));
      }
      std::printf(
          "run list over 10,000 runs (filter on status, a param and a metric; sort by a metric; 3 columns): "
          "%zu runs in %.1f ms   (bar: < 200 ms)\n",
          count, median(times));
      q.filter = "";
      q.sort = "started";
      times.clear();
      for (int i = 0; i < 5; ++i) {
        const auto t0 = Clock::now();
        count = listRuns(db, q).size();
        times.push_back(msSince(t0));
      }
      std::printf("run list over 10,000 runs, unfiltered, 3 columns: %zu runs in %.1f ms\n", count, median(times));
    }
    // 4. One 1,000,000-point series decimated to 2,000 buckets.
    {
      Database db(root / "series.db");
      migrate(db);
      db.exec("INSERT INTO runs(run_id, path) VALUES('s', '/s')");
      MetricWriter writer(db);
      const int64_t key = writer.keyId("train/loss");
      {
        Transaction tx(db);
        for (int s = 0; s < 1000000; ++s)
          writer.append(1, key, {s, 1.8e9 + s, std::sin(s * 1e-4) + (s % 9973 == 0 ? 5 : 0)});
        writer.flush();
        tx.commit();
      }
      std::vector<double> times;
      size_t buckets = 0;
      for (int i = 0; i < 7; ++i) {
        const auto t0 = Clock::now();
        buckets = decimateSeries(db, 1, key, 2000).size();
        times.push_back(msSince(t0));
      }
      std::printf("decimate a 1,000,000-point series to %zu buckets: %.1f ms   (bar: < 30 ms)\n", buckets,
                  median(times));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reef-bench-storage: %s\n", e.what());
    fs::remove_all(root);
    return 1;
  }
  fs::remove_all(root);
  return 0;
}

// The run index fed from real run directories: live ingestion by byte offset (partial lines,
// resumed runs, bad input), kill -9 in the middle of an ingest, rebuild equal to live ingestion,
// processes that died, and the reef runs / reef db commands.
#include "tests/support/index_snapshot.h"
#include "tests/support/reef_cli.h"

#include "backend/protocol/event_log.h"
#include "storage/metric_store.h"
#include "storage/run_query.h"
#include "storage/workspace_index.h"

#include <QTemporaryDir>
#include <QtTest>

#include <sqlite3.h>

#include <sys/wait.h>
#include <unistd.h>
#include <thread>

using namespace reef;
using namespace reef::storage;
using namespace reef::test;
namespace fs = std::filesystem;

namespace {

void append(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::app | std::ios::binary);
  out << text;
}

std::string metricLine(int64_t step, const std::string& values) {
  return "{\"v\":1,\"t\":\"metric\",\"time\":" + std::to_string(1.8e9 + step) + ",\"step\":" + std::to_string(step) +
         ",\"values\":{" + values + "}}\n";
}

fs::path makeRun(const fs::path& ws, const std::string& id, const std::string& name) {
  const fs::path dir = ws / "runs" / id;
  fs::create_directories(dir);
  std::ofstream(dir / "spec.yaml") << "model: {collection: vision, arch: cnn, width: 32}\n"
                                      "optim: {name: adamw, lr: 0.001}\n"
                                      "exp: {name: "
                                   << name << ", seed: 3, monitor: val/acc, monitor_mode: max}\n";
  return dir;
}

// The offset the index has committed for its only run, read without taking a write lock and
// without waiting: 0 while the database or its row does not exist yet.
int64_t committedOffset(const fs::path& database) {
  sqlite3* db = nullptr;
  int64_t offset = 0;
  if (sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT events_offset FROM runs", -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
      offset = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return offset;
}

// Starts `reef db sync` on a fresh index and sends SIGKILL once a batch short of the end is
// committed. False when the sync finished first (a fast machine, or a poll that found the
// database busy): the caller tries again.
bool killSyncMidway(const fs::path& workspace, int64_t size) {
  const fs::path database = WorkspaceIndex::databasePath(workspace);
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(database.string() + suffix);
  QProcess p;
  p.start(QStringLiteral(REEF_BINARY),
          {"db", "sync", QString::fromStdString(workspace.string()), "--batch-lines", "2000"});
  if (!p.waitForStarted()) return false;
  int64_t offset = 0;
  while (!p.waitForFinished(2)) {
    offset = committedOffset(database);
    if (offset > 0) break;
  }
  if (offset <= 0 || offset >= size) {
    p.waitForFinished(30000);
    return false;
  }
  ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
  p.waitForFinished(10000);
  return p.exitStatus() == QProcess::CrashExit && committedOffset(database) < size;
}

}  // namespace

class TestStorageIngest : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  fs::path ws(const char* name) const { return fs::path(dir_.path().toStdString()) / name; }

 private Q_SLOTS:
  void followsAGrowingFileByOffset() {
    const fs::path run = makeRun(ws("grow"), "run-a", "grow");
    const fs::path events = run / "events.jsonl";
    WorkspaceIndex index(ws("grow"));
    QCOMPARE(index.sync().created, 1);  // no events yet: pending
    QCOMPARE(listRuns(index.db(), {}).at(0).status, std::string("pending"));

    append(events,
           "{\"v\":1,\"t\":\"run_started\",\"time\":1.8e9,\"total_steps\":100,\"host\":\"elsewhere\",\"pid\":1}\n");
    append(events, metricLine(1, "\"train/loss\":2.0,\"val/acc\":0.1"));
    append(events, "{\"v\":1,\"t\":\"metric\",\"time\":1.8e9,\"step\":2,\"val");  // half a line
    IngestReport r = index.syncRun(run);
    QCOMPARE(r.lines, int64_t(2));
    QCOMPARE(r.points, int64_t(2));
    append(events, "ues\":{\"train/loss\":1.0}}\n");
    append(events, metricLine(3, "\"train/loss\":0.5,\"val/acc\":0.9"));
    r = index.syncRun(run);
    QCOMPARE(r.lines, int64_t(2));
    QCOMPARE(r.points, int64_t(3));
    QCOMPARE(index.syncRun(run).lines, int64_t(0));  // nothing is read twice

    const Json d = runDetails(index.db(), 1);
    QCOMPARE(d["run"]["status"].get<std::string>(), std::string("running"));
    QCOMPARE(d["run"]["last_step"].get<int>(), 3);
    QCOMPARE(d["run"]["name"].get<std::string>(), std::string("grow"));
    Json loss;
    for (const auto& m : d["metrics"])
      if (m["key"] == "train/loss") loss = m;
    QCOMPARE(loss["count"].get<int>(), 3);
    QCOMPARE(loss["min"].get<double>(), 0.5);
    QCOMPARE(loss["first"].get<double>(), 2.0);
    bool lr = false;
    for (const auto& p : d["params"]) lr = lr || (p["key"] == "optim.lr" && p["num"].get<double>() == 0.001);
    QVERIFY(lr);

    append(events,
           "{\"v\":1,\"t\":\"checkpoint\",\"time\":1.8e9,\"step\":3,\"path\":\"checkpoints/step-3\","
           "\"monitor\":\"val/acc\",\"value\":0.9,\"removed_steps\":[]}\n");
    append(events,
           "{\"v\":1,\"t\":\"run_finished\",\"time\":1.9e9,\"status\":\"completed\",\"step\":3,\"error\":null}\n");
    index.syncRun(run);
    const Json done = runDetails(index.db(), 1);
    QCOMPARE(done["run"]["status"].get<std::string>(), std::string("completed"));
    QCOMPARE(done["checkpoints"].size(), size_t(1));
  }

  void systemSamplesArePlottableMetrics() {
    const fs::path run = makeRun(ws("system"), "run-s", "system");
    const fs::path events = run / "events.jsonl";
    append(events, "{\"v\":1,\"t\":\"run_started\",\"time\":1.8e9}\n");
    append(events, metricLine(5, "\"train/loss\":1.0"));
    append(events, "{\"v\":1,\"t\":\"system\",\"time\":1.8e9,\"rss_mb\":600,\"note\":\"x\"}\n");  // no step
    append(events, "{\"v\":1,\"t\":\"system\",\"time\":1.8e9,\"step\":7,\"cpu_percent\":180.5,\"rss_mb\":512}\n");
    WorkspaceIndex index(ws("system"));
    index.sync();
    QCOMPARE(metricKeys(index.db(), {1}),
             (std::vector<std::string>{"system/cpu_percent", "system/rss_mb", "train/loss"}));
    const auto rss = readSeries(index.db(), 1, *findMetricKey(index.db(), "system/rss_mb"));
    QCOMPARE(rss.size(), size_t(2));
    QCOMPARE(rss[0].step, int64_t(5));  // the last metric step seen
    QCOMPARE(rss[0].value, 600.0);
    QCOMPARE(rss[1].step, int64_t(7));
    QCOMPARE(rss[1].value, 512.0);
    QCOMPARE(runDetails(index.db(), 1)["run"]["last_step"].get<int>(), 5);  // samples are not progress
  }

  void aResumedRunsPointsReplaceTheInterruptedOnes() {
    const fs::path run = makeRun(ws("resume"), "run-r", "resume");
    const fs::path events = run / "events.jsonl";
    append(events, "{\"v\":1,\"t\":\"run_started\",\"time\":1.8e9}\n");
    for (int s = 1; s <= 30; ++s) append(events, metricLine(s, "\"train/loss\":" + std::to_string(100 + s)));
    WorkspaceIndex index(ws("resume"));
    index.sync();
    // Killed after step 30; the last checkpoint was step 20; the resumed session reports 21.. again.
    append(events, "{\"v\":1,\"t\":\"run_started\",\"time\":1.81e9,\"resumed_from_step\":20}\n");
    for (int s = 21; s <= 40; ++s) append(events, metricLine(s, "\"train/loss\":" + std::to_string(s)));
    index.sync();
    const auto points = readSeries(index.db(), 1, *findMetricKey(index.db(), "train/loss"));
    QCOMPARE(points.size(), size_t(40));
    QCOMPARE(points[19].value, 120.0);
    QCOMPARE(points[20].value, 21.0);
    QCOMPARE(points[29].value, 30.0);
    const Json d = runDetails(index.db(), 1);
    QCOMPARE(d["metrics"][0]["max"].get<double>(), 120.0);  // the replaced 121..130 are gone
  }

  void badInputIsReadWhereMeaningfulAndNeverCrashes() {
    const fs::path run = makeRun(ws("bad"), "run-bad", "bad");
    const fs::path events = run / "events.jsonl";
    append(events, "{\"v\":1,\"t\":\"run_started\",\"time\":1.8e9}\n");
    append(events, std::string("\x00\x01 garbage that is not json", 27) + "\n");
    append(events, "{\"v\":1,\"t\":\"some_future_event\",\"time\":1.8e9,\"x\":1}\n");
    append(events,
           "{\"v\":1,\"t\":\"log\",\"time\":1.8e9,\"level\":\"info\",\"rank\":0,\"message\":\"bad \xff byte\"}\n");
    append(events,
           "{\"v\":1,\"t\":\"metric\",\"time\":1.8e9,\"step\":5,\"values\":{\"train/loss\":NaN,\"val/acc\":0.5,"
           "\"train/grad_norm\":Infinity,\"note\":\"abc\"}}\n");
    append(events, "{\"v\":1,\"t\":\"metric\",\"time\":1.8e9,\"values\":{\"train/loss\":1}}\n");  // no step
    append(events, "[1,2,3]\n");
    append(events, metricLine(6, "\"train/loss\":0.25"));
    append(events, "{\"v\":1,\"t\":\"metr");  // torn last line
    WorkspaceIndex index(ws("bad"));
    const IngestReport r = index.syncRun(run);
    QCOMPARE(r.malformed, int64_t(3));  // garbage, no step, not an object
    QCOMPARE(r.repaired, int64_t(2));   // non-UTF-8 byte, NaN/Infinity tokens
    QCOMPARE(r.unknownTypes, int64_t(1));
    QCOMPARE(r.points, int64_t(4));  // NaN loss, 0.5, inf, and step 6; "abc" skipped
    QVERIFY(!r.warnings.empty());
    const Json d = runDetails(index.db(), 1);
    QCOMPARE(d["logs"][0]["message"].get<std::string>(), std::string("bad \xef\xbf\xbd byte"));
    Json loss;
    for (const auto& m : d["metrics"])
      if (m["key"] == "train/loss") loss = m;
    QCOMPARE(loss["count"].get<int>(), 2);
    QCOMPARE(loss["min"].get<double>(), 0.25);  // NaN is counted, not compared
    QCOMPARE(d["run"]["malformed_lines"].get<int>(), 3);
    QVERIFY(d["run"]["events_offset"].get<int64_t>() < static_cast<int64_t>(fs::file_size(events)));

    // The file replaced by a shorter one: ingested again from the start.
    std::ofstream(events, std::ios::trunc) << "{\"v\":1,\"t\":\"run_started\",\"time\":1.8e9}\n"
                                           << metricLine(1, "\"x/y\":1");
    const IngestReport again = index.syncRun(run);
    QCOMPARE(again.points, int64_t(1));
    QVERIFY(!again.warnings.empty());
    QCOMPARE(metricKeys(index.db(), {1}), std::vector<std::string>{"x/y"});
  }

  // Two writers meeting new runs at once (the studio's background sync beside `reef runs`): found
  // by the sanitizer build's slower timing, the second insert of a run failed on its unique id.
  void twoWritersMeetingNewRunsCreateEachOnce() {
    const fs::path wsPath = ws("two-writers");
    for (int i = 0; i < 60; ++i) {
      const fs::path run = makeRun(wsPath, "run-" + std::to_string(i), "w");
      append(run / "events.jsonl",
             "{\"v\":1,\"t\":\"run_started\",\"time\":1.8e9}\n" + metricLine(1, "\"train/loss\":1"));
    }
    std::vector<std::string> errors(2);
    std::vector<std::thread> writers;
    for (int w = 0; w < 2; ++w)
      writers.emplace_back([&, w] {
        try {
          WorkspaceIndex index(wsPath);
          index.sync();
        } catch (const std::exception& e) {
          errors[static_cast<size_t>(w)] = e.what();
        }
      });
    for (auto& t : writers) t.join();
    QVERIFY2(errors[0].empty() && errors[1].empty(), (errors[0] + errors[1]).c_str());
    WorkspaceIndex index(wsPath);
    QCOMPARE(listRuns(index.db(), {}).size(), size_t(60));
  }

  void killNineDuringIngestLosesAndDuplicatesNothing() {
    const fs::path run = makeRun(ws("kill"), "run-big", "big");
    const int steps = 150000;
    {
      std::ofstream out(run / "events.jsonl");
      out << "{\"v\":1,\"t\":\"run_started\",\"time\":1.8e9}\n";
      for (int s = 1; s <= steps; ++s) {
        std::string values;
        for (int k = 0; k < 10; ++k)
          values += (k ? "," : "") + std::string("\"m/k") + std::to_string(k) + "\":" + std::to_string(s * 10 + k);
        out << metricLine(s, values);
      }
    }
    const auto size = static_cast<int64_t>(fs::file_size(run / "events.jsonl"));
    bool landed = false;
    for (int attempt = 0; attempt < 8 && !landed; ++attempt) landed = killSyncMidway(ws("kill"), size);
    QVERIFY2(landed, "in 8 attempts the kill never landed between two committed batches");

    WorkspaceIndex index(ws("kill"));
    {
      auto s = index.db().prepare("SELECT events_offset FROM runs");
      s.step();
      QVERIFY2(s.int64(0) < size, "the killed ingest had not finished");
    }
    index.sync();
    for (int k = 0; k < 10; ++k) {
      const auto points = readSeries(index.db(), 1, *findMetricKey(index.db(), "m/k" + std::to_string(k)));
      QCOMPARE(points.size(), size_t(steps));
      for (int s = 0; s < steps; ++s)
        if (points[s].step != s + 1 || points[s].value != (s + 1) * 10.0 + k)
          QFAIL("a point was lost, duplicated or changed");
    }
    const Json d = runDetails(index.db(), 1);
    QCOMPARE(d["metrics"][0]["count"].get<int>(), steps);
    QCOMPARE(d["metrics"][0]["max"].get<double>(), steps * 10.0);
    QCOMPARE(d["run"]["events_offset"].get<int64_t>(), size);
  }

  void rebuildEqualsLiveIngestionAndKeepsAnnotations() {
    const fs::path wsPath = ws("rebuild");
    const fs::path a = makeRun(wsPath, "run-1", "alpha");
    const fs::path b = makeRun(wsPath, "run-2", "beta");
    WorkspaceIndex index(wsPath);
    // Live: files grow between syncs, with a torn line, a resume and a repeated step.
    append(a / "events.jsonl", "{\"v\":1,\"t\":\"run_started\",\"time\":1.8e9}\n");
    for (int s = 1; s <= 3000; ++s)
      append(a / "events.jsonl", metricLine(s, "\"train/loss\":" + std::to_string(1.0 / s)));
    append(a / "events.jsonl", "{\"v\":1,\"t\":\"met");
    index.sync();
    append(a / "events.jsonl", "ric\",\"time\":1.9e9,\"step\":3001,\"values\":{\"train/loss\":0.5}}\n");
    append(a / "events.jsonl", "{\"v\":1,\"t\":\"run_started\",\"time\":1.8e9,\"resumed_from_step\":2500}\n");
    for (int s = 2501; s <= 3100; ++s)
      append(a / "events.jsonl", metricLine(s, "\"train/loss\":" + std::to_string(2.0 / s) + ",\"val/acc\":0.5"));
    append(a / "events.jsonl", metricLine(3100, "\"test/acc\":0.97"));
    append(a / "events.jsonl",
           "{\"v\":1,\"t\":\"artifact\",\"time\":1.9e9,\"kind\":\"confusion_matrix\",\"path\":\"artifacts/x.json\"}\n");
    append(b / "events.jsonl", "{\"v\":1,\"t\":\"run_started\",\"time\":1.8e9}\n");
    append(b / "events.jsonl",
           "{\"v\":1,\"t\":\"log\",\"time\":1.8e9,\"level\":\"warning\",\"rank\":0,\"message\":\"w\"}\n");
    append(b / "events.jsonl",
           "{\"v\":1,\"t\":\"run_finished\",\"time\":1.9e9,\"status\":\"failed\",\"error\":\"boom\"}\n");
    index.sync();
    index.addTags(index.resolveRun("run-1"), {"baseline", "keep"});
    index.addNote(index.resolveRun("run-2"), "failed on purpose");
    const Json live = indexSnapshot(index.db());

    const SyncReport r = WorkspaceIndex::rebuild(wsPath);
    QCOMPARE(r.runs, 2);
    WorkspaceIndex rebuilt(wsPath);
    const Json fresh = indexSnapshot(rebuilt.db());
    QCOMPARE(fresh["run-1"]["series"]["train/loss"].size(), size_t(3100));
    QCOMPARE(fresh["run-1"]["tags"], Json({"baseline", "keep"}));
    QCOMPARE(fresh["run-2"]["notes"][0]["text"].get<std::string>(), std::string("failed on purpose"));
    if (live != fresh) {
      for (const auto& [run, d] : live.items())
        for (const auto& [part, v] : d.items())
          if (fresh[run][part] != v)
            qWarning("differs: %s %s\nlive:  %s\nfresh: %s", run.c_str(), part.c_str(), v.dump().substr(0, 400).c_str(),
                     fresh[run][part].dump().substr(0, 400).c_str());
      QFAIL("the rebuilt index differs from the live one");
    }
  }

  void aRunWhoseProcessDiedIsMarkedFailed() {
    const fs::path run = makeRun(ws("dead"), "run-dead", "dead");
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ::waitpid(child, nullptr, 0);  // a pid that no longer runs
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    append(run / "events.jsonl", std::string("{\"v\":1,\"t\":\"run_started\",\"time\":1.8e9,\"host\":\"") + host +
                                     "\",\"pid\":" + std::to_string(child) + "}\n");
    WorkspaceIndex index(ws("dead"));
    index.sync();
    const Json d = runDetails(index.db(), 1);
    QCOMPARE(d["run"]["status"].get<std::string>(), std::string("failed"));
    QVERIFY(d["run"]["error"].get<std::string>().find("reef train") != std::string::npos);
  }

  // A cluster run whose node failed: its first session ends failed, Slurm holds the job again
  // (cluster.json says PENDING): the run is requeued, not failed, until its next session starts;
  // both sessions stay listed with where each ended and where the second went on.
  void aRequeuedClusterRunIsNotFailedAndKeepsItsSessions() {
    const fs::path run = makeRun(ws("requeue"), "run-q", "requeue");
    auto jobState = [&](const std::string& state) {
      std::ofstream(run / "cluster.json") << "{\"cluster\": \"nodes\", \"job\": \"7\", \"state\": \"" << state << "\"}";
    };
    const fs::path events = run / "events.jsonl";
    jobState("RUNNING");
    append(events, "{\"v\":1,\"t\":\"run_started\",\"time\":1.8e9,\"host\":\"node1\"}\n");
    for (int s = 1; s <= 30; ++s) append(events, metricLine(s, "\"train/loss\":1"));
    append(events,
           "{\"v\":1,\"t\":\"run_finished\",\"time\":1.8e9,\"status\":\"failed\",\"step\":30,"
           "\"error\":\"rank 0 of 2 on node1: Connection reset (10.0.0.3 is rank 1 on node2)\"}\n");
    WorkspaceIndex index(ws("requeue"));
    auto status = [&] {
      index.sync();
      return runDetails(index.db(), 1)["run"]["status"].get<std::string>();
    };
    QCOMPARE(status(), std::string("failed"));  // the job is still running: it may fail for good
    jobState("PENDING");
    QCOMPARE(status(), std::string("requeued"));
    jobState("RUNNING");  // started again, its run_started not yet followed
    QCOMPARE(status(), std::string("requeued"));
    append(events, "{\"v\":1,\"t\":\"run_started\",\"time\":1.81e9,\"host\":\"node1\",\"resumed_from_step\":20}\n");
    QCOMPARE(status(), std::string("running"));
    append(events, "{\"v\":1,\"t\":\"run_finished\",\"time\":1.82e9,\"status\":\"completed\",\"step\":40}\n");
    jobState("COMPLETED");
    QCOMPARE(status(), std::string("completed"));
    const Json sessions = runDetails(index.db(), 1)["sessions"];
    QCOMPARE(sessions.size(), size_t(2));
    QCOMPARE(sessions[0]["status"].get<std::string>(), std::string("failed"));
    QCOMPARE(sessions[0]["step"].get<int64_t>(), int64_t(30));
    QVERIFY(sessions[0]["error"].get<std::string>().find("rank 1 on node2") != std::string::npos);
    QVERIFY(sessions[0]["resumed_from_step"].is_null());
    QCOMPARE(sessions[1]["resumed_from_step"].get<int64_t>(), int64_t(20));
    QCOMPARE(sessions[1]["status"].get<std::string>(), std::string("completed"));
    // An index made before sessions were kept (schema 2) gets them when it is opened.
    {
      const Json metrics = runDetails(index.db(), 1)["metrics"];
      sqlite3* db = nullptr;
      QCOMPARE(sqlite3_open((ws("requeue") / "reef.db").c_str(), &db), SQLITE_OK);
      QCOMPARE(sqlite3_exec(db, "DROP TABLE run_sessions; PRAGMA user_version = 2", nullptr, nullptr, nullptr),
               SQLITE_OK);
      sqlite3_close(db);
      WorkspaceIndex upgraded(ws("requeue"));
      upgraded.sync();
      QCOMPARE(runDetails(upgraded.db(), 1)["sessions"], sessions);
      QCOMPARE(runDetails(upgraded.db(), 1)["metrics"], metrics);
    }
    // A requeued job cancelled while it waits ends failed, as its last session did.
    const fs::path other = makeRun(ws("requeue"), "run-c", "cancelled-in-queue");
    std::ofstream(other / "cluster.json") << "{\"state\": \"PENDING\"}";
    append(other / "events.jsonl",
           "{\"v\":1,\"t\":\"run_started\",\"time\":1.8e9}\n"
           "{\"v\":1,\"t\":\"run_finished\",\"time\":1.8e9,\"status\":\"failed\"}\n");
    index.sync();
    const int64_t id = index.resolveRun("run-c");
    QCOMPARE(runDetails(index.db(), id)["run"]["status"].get<std::string>(), std::string("requeued"));
    std::ofstream(other / "cluster.json") << "{\"state\": \"CANCELLED\"}";
    index.sync();
    QCOMPARE(runDetails(index.db(), id)["run"]["status"].get<std::string>(), std::string("failed"));
  }

  void commandLine() {
    const fs::path wsPath = ws("cli");
    const fs::path a = makeRun(wsPath, "20261127-000001-aaaaaa", "first");
    const fs::path b = makeRun(wsPath, "20261127-000002-bbbbbb", "second");
    std::ofstream(b / "spec.yaml") << "model: {collection: vision, arch: vit}\noptim: {name: sgd, lr: 0.1}\n"
                                      "exp: {name: second, seed: 3}\n";
    for (const auto& [dir, acc] : {std::pair{a, 0.91}, std::pair{b, 0.99}}) {
      append(dir / "events.jsonl", "{\"v\":1,\"t\":\"run_started\",\"time\":1.8e9}\n");
      append(dir / "events.jsonl", metricLine(10, "\"val/acc\":" + std::to_string(acc)));
      append(dir / "events.jsonl",
             "{\"v\":1,\"t\":\"run_finished\",\"time\":1.9e9,\"status\":\"completed\",\"error\":null}\n");
    }
    const QString w = QString::fromStdString(wsPath.string());
    auto list =
        runReef({"runs", "list", "-w", w, "--filter", "val/acc.max > 0.95", "--columns", "val/acc.max", "--json"});
    QVERIFY2(list.exitCode == 0, qPrintable(list.err));
    const Json rows = Json::parse(list.out.toStdString());
    QCOMPARE(rows.size(), size_t(1));
    QCOMPARE(rows[0]["name"].get<std::string>(), std::string("second"));

    QCOMPARE(runReef({"runs", "tag", "aaaaaa", "best", "-w", w}).exitCode, 0);
    QCOMPARE(runReef({"runs", "note", "aaaaaa", "looks good", "-w", w}).exitCode, 0);
    auto show = runReef({"runs", "show", "aaaaaa", "-w", w});
    QVERIFY2(show.out.contains("best") && show.out.contains("looks good") && show.out.contains("val/acc"),
             qPrintable(show.out));
    auto diff = runReef({"runs", "diff", "aaaaaa", "bbbbbb", "-w", w});
    QVERIFY2(diff.out.contains("model.arch") && diff.out.contains("optim.lr") && !diff.out.contains("exp.seed"),
             qPrintable(diff.out));
    auto csv = runReef({"runs", "export", "--csv", "-w", w, "--sort", "name", "--asc"});
    QVERIFY2(csv.exitCode == 0, qPrintable(csv.err));
    const QStringList lines = csv.out.trimmed().split('\n');
    QCOMPARE(lines.size(), 3);
    QVERIFY(lines[0].startsWith("run_id,name,status") && lines[0].contains("optim.lr") &&
            lines[0].contains("val/acc.best"));
    QVERIFY(lines[1].contains("first") && lines[1].contains("best"));
    auto points = runReef({"runs", "export", "--csv", "--points", "-w", w});
    QCOMPARE(points.out.trimmed().split('\n').size(), 3);

    auto bad = runReef({"runs", "list", "-w", w, "--filter", "val/acc.max >"});
    QCOMPARE(bad.exitCode, 2);
    QVERIFY2(bad.err.contains("column 14"), qPrintable(bad.err));
    auto ambiguous = runReef({"runs", "show", "2026", "-w", w});
    QCOMPARE(ambiguous.exitCode, 1);
    QVERIFY(ambiguous.err.contains("several runs"));

    // Tags and notes live in the run directory too: a rebuild from scratch keeps them.
    fs::remove(WorkspaceIndex::databasePath(wsPath));
    QCOMPARE(runReef({"db", "rebuild", w}).exitCode, 0);
    QVERIFY(runReef({"runs", "show", "aaaaaa", "-w", w}).out.contains("looks good"));

    auto rmNoConfirm = runReef({"runs", "rm", "aaaaaa", "-w", w});
    QCOMPARE(rmNoConfirm.exitCode, 1);
    QVERIFY(rmNoConfirm.err.contains("--yes"));
    QCOMPARE(runReef({"runs", "rm", "aaaaaa", "--yes", "-w", w}).exitCode, 0);
    QVERIFY(fs::exists(wsPath / "trash" / "20261127-000001-aaaaaa"));
    QVERIFY(!runReef({"runs", "list", "-w", w}).out.contains("aaaaaa"));
  }
};

QTEST_GUILESS_MAIN(TestStorageIngest)
#include "tst_storage_ingest.moc"

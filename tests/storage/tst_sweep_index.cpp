// Sweeps in the run index, fed from folders written by the sweep library itself: rows and the
// best trial (by the metric's goal, failed and NaN trials never best), a changed state.json
// re-read and an unchanged one skipped, a rebuild equal to live syncing, a vanished folder
// dropped, and an unreadable state reported without stopping the sync.
#include "backend/protocol/yaml_json.h"
#include "backend/sweep/sweep_store.h"
#include "storage/sweep_index.h"
#include "storage/workspace_index.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>

using namespace reef;
using namespace reef::storage;
namespace fs = std::filesystem;

namespace {

sweep::SweepSpec spec(const std::string& goal) {
  return sweep::parseSweep(
      protocol::parseYaml("name: lr-search\nbase: {model: {collection: vision, arch: cnn}}\nrun_cap: 4\n"
                          "metric: {name: val/acc, goal: " +
                              goal + "}\nparameters: {optim.lr: {distribution: log_uniform, min: 1.0e-4, max: 1}}\n",
                          "s.yaml"),
      "s.yaml", ".");
}

sweep::Trial trial(int number, sweep::TrialStatus status, double value, const fs::path& ws) {
  sweep::Trial t;
  t.number = number;
  t.params = {{"optim.lr", 0.001 * (number + 1)}};
  t.status = status;
  t.runDir = (ws / "runs" / ("run-" + std::to_string(number))).string();
  t.value = value;
  t.steps = 100 * (number + 1);
  t.startedAt = 1.8e9 + number;
  return t;
}

// state.json replaced with a different size or time, as each controller save does.
void saveLater(const sweep::SweepStore& store, const sweep::SweepState& state) {
  store.save(state);
  const fs::path file = store.root() / "state.json";
  fs::last_write_time(file, fs::last_write_time(file) + std::chrono::seconds(1));
}

Json rowsOf(Database& db, const std::string& sql) {
  Json rows = Json::array();
  auto s = db.prepare(sql);
  while (s.step()) {
    Json row = Json::array();
    for (int c = 0; c < s.columnCount(); ++c) row.push_back(s.json(c));
    rows.push_back(row);
  }
  return rows;
}

const SweepSummary& byName(const std::vector<SweepSummary>& sweeps, const std::string& name) {
  for (const auto& w : sweeps)
    if (w.name == name) return w;
  throw std::runtime_error("no sweep named " + name);
}

}  // namespace

class TestSweepIndex : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  fs::path ws_;

 private Q_SLOTS:
  void initTestCase() { ws_ = fs::path(dir_.path().toStdString()) / "ws"; }

  void aSweepBecomesRowsWithItsBestTrial() {
    const auto store = sweep::SweepStore::create(ws_, spec("maximize"), "local", 2);
    sweep::SweepState state = store.load();
    using S = sweep::TrialStatus;
    state.trials = {trial(0, S::Completed, 0.91, ws_), trial(1, S::Stopped, 0.97, ws_),
                    trial(2, S::Completed, 0.95, ws_), trial(3, S::Failed, NAN, ws_), trial(4, S::Lost, 0.2, ws_)};
    state.trials[3].error = "loss is NaN at step 12";
    saveLater(store, state);
    WorkspaceIndex index(ws_);
    const SyncReport report = index.sync();
    QCOMPARE(report.sweeps, 1);
    const auto sweeps = querySweeps(index.db());
    QCOMPARE(sweeps.size(), size_t{1});
    const SweepSummary& w = sweeps[0];
    QCOMPARE(w.id, store.id());
    QCOMPARE(w.name, std::string("lr-search"));
    QCOMPARE(w.goal, std::string("maximize"));
    // A stopped trial's higher value was never trained to the end: the best is a completed one.
    QCOMPARE(w.bestTrial.value_or(-1), 2);
    QCOMPARE(w.best.value_or(0), 0.95);
    QCOMPARE(w.bestRun, std::string("run-2"));
    QCOMPARE(w.trials, 4);  // the lost trial was replaced: it does not count towards run_cap
    QCOMPARE(w.completed, 2);
    QCOMPARE(w.stopped, 1);
    QCOMPARE(w.failed, 1);
    QCOMPARE(w.steps, int64_t{100 + 200 + 300 + 400 + 500});
    const Json failed = rowsOf(index.db(), "SELECT value, error, params FROM sweep_trials WHERE status = 'failed'");
    QCOMPARE(failed.size(), size_t{1});
    QVERIFY(failed[0][0].is_null());
    QCOMPARE(failed[0][1].get<std::string>(), std::string("loss is NaN at step 12"));
    QCOMPARE(Json::parse(failed[0][2].get<std::string>())["optim.lr"].get<double>(), 0.004);
  }

  void aChangedStateIsReadAgainAndAnUnchangedOneSkipped() {
    const auto store = sweep::SweepStore::open(ws_, sweep::SweepStore::list(ws_)[0]);
    WorkspaceIndex index(ws_);
    QCOMPARE(syncSweeps(index.db(), ws_).updated, 0);
    sweep::SweepState state = store.load();
    state.trials[0].value = 0.99;
    state.status = "completed";
    saveLater(store, state);
    QCOMPARE(syncSweeps(index.db(), ws_).updated, 1);
    const auto w = querySweeps(index.db()).at(0);
    QCOMPARE(w.status, std::string("completed"));
    QCOMPARE(w.bestTrial.value_or(-1), 0);
    QCOMPARE(rowsOf(index.db(), "SELECT count(*) FROM sweep_trials")[0][0].get<int>(), 5);
  }

  void aRebuildEqualsLiveSyncing() {
    sweep::SweepSpec minimize = spec("minimize");
    minimize.name = "second";
    const auto store = sweep::SweepStore::create(ws_, minimize, "local", 1);
    sweep::SweepState state = store.load();
    state.trials = {trial(0, sweep::TrialStatus::Completed, 0.3, ws_),
                    trial(1, sweep::TrialStatus::Completed, 0.1, ws_)};
    saveLater(store, state);
    const std::string query =
        "SELECT s.sweep_id, s.name, s.status, s.best_trial, t.number, t.run_id, t.status, "
        "t.value, t.steps FROM sweeps s JOIN sweep_trials t ON t.sweep_id = s.id "
        "ORDER BY s.sweep_id, t.number";
    Json live;
    {
      WorkspaceIndex index(ws_);
      index.sync();
      live = rowsOf(index.db(), query);
      const auto sweeps = querySweeps(index.db());
      QCOMPARE(sweeps.size(), size_t{2});
      QCOMPARE(byName(sweeps, "second").bestTrial.value_or(-1), 1);  // minimize: the lower value
    }
    const SyncReport rebuilt = WorkspaceIndex::rebuild(ws_);
    QCOMPARE(rebuilt.sweeps, 2);
    WorkspaceIndex index(ws_);
    QCOMPARE(rowsOf(index.db(), query).dump(), live.dump());
    QCOMPARE(live.size(), size_t{7});
  }

  void aVanishedFolderIsDroppedAndABrokenOneReported() {
    std::string first, second;
    {
      WorkspaceIndex index(ws_);
      first = byName(querySweeps(index.db()), "lr-search").id;
      second = byName(querySweeps(index.db()), "second").id;
    }
    fs::remove_all(ws_ / "sweeps" / second);
    std::ofstream(ws_ / "sweeps" / first / "state.json", std::ios::trunc) << "{\"status\": \"run";
    WorkspaceIndex index(ws_);
    const SyncReport report = index.sync();
    QCOMPARE(report.sweeps, 1);
    QCOMPARE(report.warnings.size(), size_t{1});
    QVERIFY2(QString::fromStdString(report.warnings[0]).contains(QString::fromStdString(first)),
             report.warnings[0].c_str());
    // The broken sweep keeps its last good rows; the vanished one is gone with its trials.
    QCOMPARE(querySweeps(index.db()).size(), size_t{1});
    QCOMPARE(rowsOf(index.db(), "SELECT count(*) FROM sweep_trials")[0][0].get<int>(), 5);
  }
};

QTEST_GUILESS_MAIN(TestSweepIndex)
#include "tst_sweep_index.moc"

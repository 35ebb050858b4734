// `reef sweep` end to end on MNIST: real trials (reef train processes), ASHA stopping some of them
// early through their stop request, the controller killed with SIGKILL (and a trial's engine with
// it) then resumed to exactly run_cap trials, a sweep whose every trial fails, and bad files.
#include "backend/protocol/run_dir.h"
#include "backend/protocol/spec.h"
#include "backend/sweep/sweep_store.h"
#include "tests/support/reef_cli.h"

#include <QTemporaryDir>
#include <QtTest>

#include <signal.h>

#include <functional>
#include <set>
#include <thread>

using namespace reef;
using namespace reef::test;
namespace fs = std::filesystem;

namespace {

std::string sweepFile(int runCap, const std::string& extraBase = "", int maxFailures = 5) {
  return R"(name: mnist-lr
base:
  model: {collection: vision, arch: cnn, width: 8, hidden: 32}
  data: {dataset: mnist, batch_size: 64, workers: 1, val_size: 1000)" +
         extraBase + R"(}
  trainer: {max_steps: 200, val_interval: 10, limit_val_batches: 4, log_interval: 10, test_at_end: false}
  exp: {monitor: val/acc, monitor_mode: max, checkpoint_interval: 20}
method: random
metric: {name: val/acc, goal: maximize}
parameters:
  optim.lr: {distribution: log_uniform, min: 1.0e-5, max: 0.3}
  optim.name: [adamw, sgd]
  optim.momentum: {min: 0.5, max: 0.95, when: {optim.name: sgd}}
early_terminate: {type: asha, eta: 2, min_steps: 20}
run_cap: )" +
         std::to_string(runCap) + "\nmax_concurrent: 2\nseed: 3\nmax_failures: " + std::to_string(maxFailures) + "\n";
}

fs::path writeFile(const QTemporaryDir& dir, const std::string& name, const std::string& text) {
  const fs::path path = fs::path(dir.path().toStdString()) / name;
  std::ofstream(path) << text;
  return path;
}

QString q(const fs::path& p) { return QString::fromStdString(p.string()); }

sweep::SweepStore onlySweep(const fs::path& workspace) {
  const auto ids = sweep::SweepStore::list(workspace);
  if (ids.size() != 1) throw std::runtime_error("expected one sweep, found " + std::to_string(ids.size()));
  return sweep::SweepStore::open(workspace, ids[0]);
}

// The status of a run's last session: run_finished after its last run_started, or "".
std::string runStatus(const fs::path& runDir) {
  std::string status;
  for (const auto& e : eventsOf(runDir)) {
    if (e["t"] == "run_started") status.clear();
    if (e["t"] == "run_finished") status = e.value("status", "");
  }
  return status;
}

// One line per poll result: each trial's number, status and steps, so a missed window says what it saw.
std::string describe(const sweep::SweepState& s) {
  std::string out;
  for (const auto& t : s.trials)
    out += " #" + std::to_string(t.number) + ":" + sweep::trialStatusName(t.status) + "@" + std::to_string(t.steps);
  return out;
}

// Polls the workspace's one sweep (every 50 ms, 90 s at most) until `found` picks a trial; returns
// that trial's pid, or 0 with the trials last seen in `seen`.
int64_t waitForTrial(const fs::path& workspace,
                     const std::function<bool(const sweep::SweepState&, const sweep::Trial&)>& found,
                     std::string& seen) {
  for (int i = 0; i < 1800; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    try {
      const sweep::SweepState s = onlySweep(workspace).load();
      seen = describe(s);
      for (const auto& t : s.trials)
        if (found(s, t)) return t.pid;
    } catch (const std::exception& e) {  // not created yet
      seen = e.what();
    }
  }
  return 0;
}

// Trials with a live engine: running, or asked to stop and not yet stopped.
int alive(const sweep::SweepState& s) {
  int n = 0;
  for (const auto& t : s.trials)
    n += t.status == sweep::TrialStatus::Running || t.status == sweep::TrialStatus::Stopping;
  return n;
}

// A trial to interrupt: it trains, has its first checkpoint (step 20) and is far enough from its
// end (step 200) that the kill a few milliseconds later still finds it training. state.json lags
// the runs, so its own events must say it has not finished.
bool interruptible(const sweep::Trial& t, int64_t fromStep) {
  return t.status == sweep::TrialStatus::Running && t.steps >= fromStep && t.steps <= 150 &&
         runStatus(t.runDir).empty();
}

}  // namespace

class TestSweepCli : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private Q_SLOTS:
  void sweepRunsTrialsAndStopsSomeEarly() {
    const fs::path workspace = fs::path(dir_.path().toStdString()) / "ws-asha";
    const fs::path file = writeFile(dir_, "asha.yaml", sweepFile(6));
    const ReefRun r = runReef({"sweep", q(file), "--workspace", q(workspace)}, 280000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    const sweep::SweepStore store = onlySweep(workspace);
    const sweep::SweepState state = store.load();
    QCOMPARE(state.status, std::string("completed"));
    QCOMPARE(state.trials.size(), size_t{6});
    int stopped = 0;
    for (const auto& t : state.trials) {
      QVERIFY2(t.status == sweep::TrialStatus::Completed || t.status == sweep::TrialStatus::Stopped, t.error.c_str());
      QVERIFY(t.value.has_value() && !t.reports.empty());
      const Json spec = protocol::loadSpecFile(fs::path(t.runDir) / "spec.yaml");
      QCOMPARE(spec["exp"]["sweep"].get<std::string>(), store.id() + "/" + std::to_string(t.number));
      QCOMPARE(t.params.contains("optim.momentum"), t.params["optim.name"] == "sgd");
      if (t.status == sweep::TrialStatus::Stopped) {
        ++stopped;
        QVERIFY2(t.steps < 200, qPrintable(QString::number(t.steps)));
        QVERIFY(fs::exists(fs::path(t.runDir) / "stop_request.json"));
        QCOMPARE(runStatus(t.runDir), std::string("stopped"));
        QVERIFY(!fs::path(t.runDir).empty() && !protocol::RunDir(t.runDir).checkpointSteps().empty());
      } else {
        QCOMPARE(t.steps, int64_t{200});
        QCOMPARE(runStatus(t.runDir), std::string("completed"));
      }
    }
    QVERIFY2(stopped >= 1, "ASHA stopped no trial");
    QVERIFY(r.out.contains("stopping early, rung"));
    const ReefRun status =
        runReef({"sweep", "status", QString::fromStdString(store.id()), "--workspace", q(workspace)});
    QVERIFY(status.exitCode == 0 && status.out.contains("stopped") && status.out.contains("best: trial"));
    const ReefRun list = runReef({"sweep", "list", "--json", "--workspace", q(workspace)});
    const Json sweeps = Json::parse(list.out.toStdString());
    QCOMPARE(sweeps.size(), size_t{1});
    QCOMPARE(sweeps[0]["status"].get<std::string>(), std::string("completed"));
    QCOMPARE(sweeps[0]["trials"].get<int>(), 6);
  }

  void killedControllerResumesToExactlyRunCap() {
    const fs::path workspace = fs::path(dir_.path().toStdString()) / "ws-kill";
    const fs::path file = writeFile(dir_, "kill.yaml", sweepFile(5));
    QProcess controller;
    controller.start(QStringLiteral(REEF_BINARY), {"sweep", q(file), "--workspace", q(workspace)});
    QVERIFY(controller.waitForStarted());
    // Two engines alive, one of them interruptible: resume must adopt the other and continue it.
    std::string seen;
    const int64_t victim = waitForTrial(
        workspace,
        [](const sweep::SweepState& s, const sweep::Trial& t) { return alive(s) == 2 && interruptible(t, 20); }, seen);
    QVERIFY2(victim > 0, ("no trial got going; last seen:" + seen).c_str());
    ::kill(static_cast<pid_t>(controller.processId()), SIGKILL);
    QVERIFY(controller.waitForFinished(10000));
    ::kill(static_cast<pid_t>(victim), SIGKILL);  // and a trial's engine with it: no run_finished
    const sweep::SweepStore store = onlySweep(workspace);
    const ReefRun r =
        runReef({"sweep", "resume", QString::fromStdString(store.id()), "--workspace", q(workspace)}, 280000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    QVERIFY2(r.out.contains("continued from its last checkpoint"), qPrintable(r.out));
    const sweep::SweepState state = store.load();
    QCOMPARE(state.status, std::string("completed"));
    std::set<std::string> configurations;
    int counted = 0;
    for (const auto& t : state.trials) {
      QVERIFY2(sweep::finished(t.status), sweep::trialStatusName(t.status));
      if (!t.counts()) continue;
      ++counted;
      configurations.insert(sweep::SearchSpace::canonical(t.params));
      QVERIFY2(t.status == sweep::TrialStatus::Completed || t.status == sweep::TrialStatus::Stopped, t.error.c_str());
      QVERIFY(!runStatus(t.runDir).empty());
    }
    QCOMPARE(counted, 5);
    QCOMPARE(configurations.size(), size_t{5});
    // No run of this sweep outside its trials, none still training.
    int runs = 0;
    for (const auto& e : fs::directory_iterator(workspace / "runs")) runs += fs::exists(e.path() / "spec.yaml");
    QCOMPARE(runs, static_cast<int>(state.trials.size()));
  }

  // `reef sweep stop` while trials train, then `reef sweep resume`: the cancelled trials go on
  // from their checkpoints and the sweep ends with every trial finished.
  void stopThenResumeContinuesTheStoppedTrials() {
    const fs::path workspace = fs::path(dir_.path().toStdString()) / "ws-pause";
    const fs::path file = writeFile(dir_, "pause.yaml", sweepFile(3));
    QProcess controller;
    controller.start(QStringLiteral(REEF_BINARY), {"sweep", q(file), "--workspace", q(workspace)});
    QVERIFY(controller.waitForStarted());
    // A trial past its first checkpoint (step 20).
    std::string seen;
    const bool going =
        waitForTrial(
            workspace, [](const sweep::SweepState&, const sweep::Trial& t) { return interruptible(t, 30); }, seen) > 0;
    QVERIFY2(going, ("no trial got going; last seen:" + seen).c_str());
    const sweep::SweepStore store = onlySweep(workspace);
    const ReefRun stop = runReef({"sweep", "stop", QString::fromStdString(store.id()), "--workspace", q(workspace)});
    QVERIFY2(stop.exitCode == 0 && stop.out.contains("asked its controller"), qPrintable(stop.out + stop.err));
    QVERIFY(controller.waitForFinished(60000));
    QCOMPARE(controller.exitCode(), 130);
    sweep::SweepState state = store.load();
    QCOMPARE(state.status, std::string("stopped"));
    int cancelled = 0;
    for (const auto& t : state.trials) cancelled += t.status == sweep::TrialStatus::Cancelled;
    QVERIFY(cancelled >= 1);
    const ReefRun r =
        runReef({"sweep", "resume", QString::fromStdString(store.id()), "--workspace", q(workspace)}, 280000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    QVERIFY2(r.out.contains("continued from its last checkpoint after the sweep's stop"), qPrintable(r.out));
    state = store.load();
    QCOMPARE(state.status, std::string("completed"));
    QCOMPARE(state.trials.size(), size_t{3});
    for (const auto& t : state.trials) {
      QVERIFY2(t.status == sweep::TrialStatus::Completed || t.status == sweep::TrialStatus::Stopped,
               sweep::trialStatusName(t.status));
      QCOMPARE(runStatus(t.runDir), std::string(sweep::trialStatusName(t.status)));
    }
  }

  void aSweepWhoseTrialsAllFailEndsWithAClearMessage() {
    const fs::path workspace = fs::path(dir_.path().toStdString()) / "ws-fail";
    const fs::path file = writeFile(dir_, "fail.yaml", sweepFile(6, ", root: /nonexistent-reef-data", 2));
    const ReefRun r = runReef({"sweep", q(file), "--workspace", q(workspace)}, 120000);
    QCOMPARE(r.exitCode, 1);
    const sweep::SweepState state = onlySweep(workspace).load();
    QCOMPARE(state.status, std::string("failed"));
    QVERIFY2(QString::fromStdString(state.message).contains("nonexistent-reef-data"), state.message.c_str());
    QVERIFY(state.trials.size() <= 4);  // stopped after 2 failures (2 at once)
    for (const auto& t : state.trials) QVERIFY(sweep::finished(t.status));
  }

  void badFilesAreNamedByKeyAndPreviewRunsNothing() {
    const fs::path workspace = fs::path(dir_.path().toStdString()) / "ws-bad";
    const fs::path malformed = writeFile(dir_, "bad.yaml", sweepFile(4) + "colour: red\n");
    ReefRun r = runReef({"sweep", q(malformed), "--workspace", q(workspace)});
    QVERIFY(r.exitCode != 0);
    QVERIFY2(r.err.contains("colour"), qPrintable(r.err));
    std::string invalid = sweepFile(4);
    invalid.replace(invalid.find("max: 0.3"), 8, "max: 20");
    r = runReef({"sweep", q(writeFile(dir_, "invalid.yaml", invalid)), "--workspace", q(workspace)});
    QVERIFY(r.exitCode != 0);
    QVERIFY2(r.err.contains("parameters.optim.lr.max"), qPrintable(r.err));
    r = runReef({"sweep", q(writeFile(dir_, "preview.yaml", sweepFile(8))), "--preview", "--workspace", q(workspace)});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(
        r.out.contains("rungs at steps 20 40 80 160") && r.out.contains("1600 steps") && r.out.contains("about 440"),
        qPrintable(r.out));
    QVERIFY(!fs::exists(workspace / "sweeps"));
  }
};

QTEST_GUILESS_MAIN(TestSweepCli)
#include "tst_sweep_cli.moc"

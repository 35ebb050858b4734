// The Slurm backend against real components started here on 127.0.0.1 (sshd, munge, slurmctld,
// slurmd): `reef cluster add/test`, a short MNIST run submitted with `reef submit` whose points
// reach the run index while it runs (and whose checkpoints `reef runs fetch` copies); `reef runs
// cancel` ending a run as cancelled; sshd stopped in the middle of a run and restarted (the running
// follower reconnects), then the follower killed and a new `reef runs follow` finishing, with every
// point exactly once; and a job that fails on the cluster ending the run as failed with Slurm's word and the
// job's output, in the CLI and in the index the studio reads. A host without a scheduler (the
// engine as a detached process over SSH) runs a run to the end as well.
#include "backend/cluster/remote_backend.h"
#include "backend/protocol/run_dir.h"
#include "backend/sweep/sweep_store.h"
#include "storage/run_query.h"
#include "storage/workspace_index.h"
#include "tests/backend/cluster/cluster_fixture.h"
#include "tests/support/reef_cli.h"

#include <QElapsedTimer>
#include <QRegularExpression>
#include <QtTest>

#include <set>

using namespace reef;
using namespace reef::test;
namespace fs = std::filesystem;

class TestClusterSlurm : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::unique_ptr<SshServer> ssh_;
  std::unique_ptr<SlurmCluster> slurm_;
  QProcessEnvironment env_;
  QString workspace_;

  QString remoteWorkspace() const { return dir_.filePath("remote workspace"); }  // a space on purpose

  ReefRun reef(const QStringList& args, int timeoutMs = 120000) { return runReef(args, timeoutMs, env_); }

  QString addCluster(const QString& name, const QString& reefPath, const QString& scheduler = "slurm") {
    const ReefRun r = reef({"cluster",
                            "add",
                            name,
                            "--scheduler",
                            scheduler,
                            "--host",
                            "127.0.0.1",
                            "--port",
                            QString::number(ssh_->port()),
                            "--user",
                            "root",
                            "--key",
                            ssh_->userKey(),
                            "--known-hosts",
                            dir_.filePath("known_hosts"),
                            "--workspace",
                            remoteWorkspace(),
                            "--reef",
                            reefPath,
                            "--env",
                            "export REEF_DATA=" + qEnvironmentVariable("REEF_DATA", sourceDir() + "/data"),
                            "--time",
                            "00:10:00"});
    return r.exitCode == 0 ? QString() : r.err;
  }

  // Submits the MNIST example, short, and returns the local run directory.
  fs::path submit(const QString& cluster, const QStringList& sets) {
    QStringList args = {"submit",        "--cluster", cluster, example("vision/mnist_cnn.yaml"), "--workspace",
                        workspace_,      "--detach",  "--set", "trainer.log_interval=10",        "--set",
                        "data.workers=0"};
    for (const auto& s : sets) args << "--set" << s;
    const ReefRun r = reef(args);
    if (r.exitCode != 0) qWarning("%s", qPrintable(r.err));
    const QString line = r.out.section('\n', 0, 0);
    return line.startsWith("run directory: ") ? fs::path(line.mid(15).toStdString()) : fs::path();
  }

  int64_t metricRows(storage::WorkspaceIndex& index, const fs::path& run) {
    auto q = index.db().prepare("SELECT COALESCE(SUM(count), 0) FROM metric_summary WHERE run_id = ?");
    q.bind(1, index.resolveRun(run.string()));
    q.step();
    return q.int64(0);
  }

 private Q_SLOTS:
  void initTestCase() {
    slurm_ = std::make_unique<SlurmCluster>(dir_.filePath("slurm"));
    ssh_ = std::make_unique<SshServer>(dir_.filePath("ssh"), QStringList{"SLURM_CONF=" + slurm_->conf()});
    slurm_->start();
    ssh_->start();
    env_ = QProcessEnvironment::systemEnvironment();
    env_.insert("REEF_CONFIG_DIR", dir_.filePath("config"));
    workspace_ = dir_.filePath("workspace");
    const QString error = addCluster("local", REEF_BINARY);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    // The first contact: the host key is unknown, so it is refused with its fingerprint...
    const ReefRun refused = reef({"cluster", "test", "local"});
    QCOMPARE(refused.exitCode, 1);
    QVERIFY2(refused.err.contains("is not known (SHA256:"), qPrintable(refused.err));
    // ... until the user accepts it; then the report names what is there.
    // Accepting another key than the one shown does not help.
    const ReefRun wrong = reef({"cluster", "test", "local", "--accept-host-key", "SHA256:not-the-right-one"});
    QCOMPARE(wrong.exitCode, 1);
    const QString fingerprint = QRegularExpression("SHA256:[A-Za-z0-9+/=]+").match(refused.err).captured(0);
    const ReefRun accepted = reef({"cluster", "test", "local", "--accept-host-key", fingerprint, "--json"});
    QVERIFY2(accepted.exitCode == 0, qPrintable(accepted.err));
    const Json report = Json::parse(accepted.out.toStdString());
    QCOMPARE(report["auth"].get<std::string>(), std::string("key file"));
    QVERIFY2(report["slurm"].get<std::string>().find(" 22.05") != std::string::npos, report.dump().c_str());
    QCOMPARE(report["partitions"][0].get<std::string>(), std::string("debug*"));
    QVERIFY2(report["reef"].get<std::string>().rfind("reef ", 0) == 0, report.dump().c_str());
  }

  void pointsArriveWhileTheRunRuns() {
    QElapsedTimer clock;
    clock.start();
    const fs::path run = submit("local", {"trainer.max_steps=400", "trainer.val_interval=100"});
    QVERIFY(!run.empty());
    QVERIFY(fs::exists(run / "cluster.json"));
    cluster::RemoteBackend backend(
        cluster::ClusterProfiles(dir_.filePath("config/clusters.json").toStdString()).get("local"));
    storage::WorkspaceIndex index(workspace_.toStdString());
    bool sawPointsWhileRunning = false;
    double firstPoint = -1;
    cluster::RunState state;
    while (clock.elapsed() < 180000) {
      state = backend.follow(run);
      index.syncRun(run);
      const int64_t rows = metricRows(index, run);
      if (rows > 0 && firstPoint < 0) firstPoint = clock.elapsed() / 1000.0;
      if (rows > 0 && !state.finished) sawPointsWhileRunning = true;
      if (state.finished) break;
      QTest::qWait(300);
    }
    qInfo("submit to first point in the index: %.1f s; whole run %.1f s", firstPoint, clock.elapsed() / 1000.0);
    QVERIFY2(state.finished && state.state == "completed", (state.state + " " + state.error).c_str());
    QVERIFY(sawPointsWhileRunning);
    // The mirror is the remote stream byte for byte, and the index has the run as completed.
    const fs::path remote = remoteWorkspace().toStdString() + "/runs/" + run.filename().string();
    QCOMPARE(fileBytes(run / "events.jsonl"), fileBytes(remote / "events.jsonl"));
    const Json details = storage::runDetails(index.db(), index.resolveRun(run.string()));
    QCOMPARE(details["run"]["status"].get<std::string>(), std::string("completed"));
    QVERIFY(fs::exists(run / "logs" / "rank-0.log"));
    // Checkpoints come on request.
    QVERIFY(protocol::RunDir(run).checkpointSteps().empty());
    const ReefRun fetch = reef({"runs", "fetch", QString::fromStdString(run.string()), "checkpoints"});
    QVERIFY2(fetch.exitCode == 0, qPrintable(fetch.err));
    const auto steps = protocol::RunDir(run).checkpointSteps();
    QVERIFY(!steps.empty());
    QCOMPARE(fileBytes(protocol::RunDir(run).checkpoint(steps.back()) / "model.safetensors"),
             fileBytes(protocol::RunDir(remote).checkpoint(steps.back()) / "model.safetensors"));
  }

  void cancelEndsTheRun() {
    const fs::path run = submit("local", {"trainer.max_steps=100000"});
    QVERIFY(!run.empty());
    cluster::RemoteBackend backend(
        cluster::ClusterProfiles(dir_.filePath("config/clusters.json").toStdString()).get("local"));
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 60000 && eventsOfType(run, "metric").empty()) {
      backend.follow(run);
      QTest::qWait(300);
    }
    QVERIFY(!eventsOfType(run, "metric").empty());
    const ReefRun cancel = reef({"runs", "cancel", QString::fromStdString(run.string())});
    QVERIFY2(cancel.exitCode == 0, qPrintable(cancel.err));
    const ReefRun follow = reef({"runs", "follow", QString::fromStdString(run.string())}, 90000);
    QCOMPARE(follow.exitCode, 130);
    const auto finished = eventsOfType(run, "run_finished");
    QCOMPARE(finished.size(), size_t(1));
    QCOMPARE(finished[0]["status"].get<std::string>(), std::string("cancelled"));
  }

  void aDroppedLinkLosesNothing() {
    const fs::path run = submit("local", {"trainer.max_steps=1500", "trainer.val_interval=500"});
    QVERIFY(!run.empty());
    const QString runArg = QString::fromStdString(run.string());
    auto metrics = [&] { return eventsOfType(run, "metric").size(); };
    auto waitForMoreThan = [&](size_t count) {
      for (int waited = 0; waited < 60000 && metrics() <= count; waited += 200) QTest::qWait(200);
      return metrics() > count;
    };
    // 1. The link drops under a running follower: it reconnects (with back-off) by itself.
    QProcess follower;
    follower.setProcessEnvironment(env_);
    follower.start(REEF_BINARY, {"runs", "follow", runArg});
    QVERIFY(waitForMoreThan(3));
    ssh_->stop();  // the job goes on without us
    QTest::qWait(3000);
    ssh_->start();
    const size_t beforeKill = metrics();
    QVERIFY2(waitForMoreThan(beforeKill), "the follower did not reconnect");
    // 2. The follower itself dies (SIGKILL, mid-copy or not): a new one carries on from the offsets.
    follower.kill();
    follower.waitForFinished();
    QVERIFY2(QString::fromUtf8(follower.readAllStandardOutput()).contains("disconnected"), "the drop was not reported");
    const ReefRun follow = reef({"runs", "follow", runArg}, 180000);
    QVERIFY2(follow.exitCode == 0, qPrintable(follow.out + follow.err));
    const fs::path remote = remoteWorkspace().toStdString() + "/runs/" + run.filename().string();
    QCOMPARE(fileBytes(run / "events.jsonl"), fileBytes(remote / "events.jsonl"));
    std::set<int64_t> steps;
    for (const auto& m : eventsOfType(run, "metric"))
      if (m["values"].contains("train/loss")) QVERIFY2(steps.insert(m["step"].get<int64_t>()).second, "a point twice");
    QCOMPARE(steps.size(), size_t(150));  // 1500 steps, one train/loss every 10
    storage::WorkspaceIndex index(workspace_.toStdString());
    index.syncRun(run);
    auto q = index.db().prepare(
        "SELECT s.count FROM metric_summary s JOIN metric_keys k ON k.id = s.key_id WHERE s.run_id = ? AND k.name = "
        "'train/loss'");
    q.bind(1, index.resolveRun(run.string()));
    q.step();
    QCOMPARE(q.int64(0), int64_t(150));
  }

  void aHostWithoutSchedulerRunsToo() {
    const QString error = addCluster("plain", REEF_BINARY, "ssh");
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QStringList args = {"submit",      "--cluster",
                              "plain",       example("vision/mnist_cnn.yaml"),
                              "--workspace", workspace_,
                              "--set",       "trainer.max_steps=100",
                              "--set",       "trainer.val_interval=50",
                              "--set",       "data.workers=0"};
    const ReefRun r = reef(args, 120000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    const fs::path run = r.out.section('\n', 0, 0).mid(15).toStdString();
    QCOMPARE(eventsOfType(run, "run_finished").size(), size_t(1));
    QCOMPARE(eventsOfType(run, "run_finished")[0]["status"].get<std::string>(), std::string("completed"));
    QVERIFY2(r.out.contains("step 100"), qPrintable(r.out));
  }

  // A sweep whose trials are Slurm jobs: submitted through the profile, two at once, followed by
  // mirroring, stopped early through their remote stop request, every trial ending.
  void aSweepRunsItsTrialsAsJobs() {
    const QString error = addCluster("sweeps", REEF_BINARY);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QString file = dir_.filePath("sweep.yaml");
    std::ofstream(file.toStdString())
        << "name: slurm-sweep\nbase:\n"
           "  model: {collection: vision, arch: cnn, width: 8, hidden: 32}\n"
           "  data: {dataset: mnist, batch_size: 64, workers: 0, val_size: 1000}\n"
           "  trainer: {max_steps: 300, val_interval: 10, limit_val_batches: 4, log_interval: 10, test_at_end: false}\n"
           "method: random\nmetric: {name: val/acc, goal: maximize}\nseed: 3\n"
           "parameters: {optim.lr: {distribution: log_uniform, min: 1.0e-5, max: 0.3}}\n"
           "early_terminate: {type: asha, eta: 2, min_steps: 20}\nrun_cap: 4\nmax_concurrent: 2\n";
    const QString workspace = dir_.filePath("sweep-workspace");
    const ReefRun r = reef({"sweep", file, "--workspace", workspace, "--target", "sweeps"}, 400000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    const auto store =
        sweep::SweepStore::open(workspace.toStdString(), sweep::SweepStore::list(workspace.toStdString()).at(0));
    const sweep::SweepState state = store.load();
    QCOMPARE(state.status, std::string("completed"));
    QCOMPARE(state.target, std::string("sweeps"));
    QCOMPARE(state.trials.size(), size_t{4});
    for (const auto& t : state.trials) {
      QVERIFY2(t.status == sweep::TrialStatus::Completed || t.status == sweep::TrialStatus::Stopped, t.error.c_str());
      QVERIFY(fs::exists(fs::path(t.runDir) / "cluster.json"));  // it ran as a job
      const auto finished = eventsOfType(t.runDir, "run_finished");
      QCOMPARE(finished.back()["status"].get<std::string>(),
               std::string(t.status == sweep::TrialStatus::Stopped ? "stopped" : "completed"));
    }
    qInfo("%s", qPrintable(r.out.section('\n', -8)));
  }

  void aFailedJobShowsItsError() {
    const QString error = addCluster("broken", "/nonexistent/reef");
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QStringList args = {"submit",      "--cluster", "broken", example("vision/mnist_cnn.yaml"),
                              "--workspace", workspace_};
    const ReefRun r = reef(args, 90000);
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("FAILED") && r.err.contains("/nonexistent/reef"), qPrintable(r.err));
    const fs::path run = r.out.section('\n', 0, 0).mid(15).toStdString();
    storage::WorkspaceIndex index(workspace_.toStdString());
    index.syncRun(run);
    const Json details = storage::runDetails(index.db(), index.resolveRun(run.string()));
    QCOMPARE(details["run"]["status"].get<std::string>(), std::string("failed"));
    QVERIFY2(details["run"]["error"].get<std::string>().find("/nonexistent/reef") != std::string::npos,
             details["run"].dump().c_str());
  }
};

QTEST_GUILESS_MAIN(TestClusterSlurm)
#include "tst_cluster_slurm.moc"

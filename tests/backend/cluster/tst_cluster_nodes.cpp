// Reef across machines, on a real three-host Slurm cluster that the suite builds in network
// namespaces (tests/cluster/netns_cluster.sh): a login node (sshd, slurmctld) and two compute
// nodes (slurmd, 2 CPUs each), each with its own address, hostname and /etc/hosts, joined by a
// private bridge. `reef submit` of specs with resources.nodes: 2 runs DDP (1 and 2 tasks per node)
// and FSDP across both nodes through srun, with the rendezvous on the first node's address; the
// losses and parameters equal one process's on the same global batch; every rank's log comes back
// with its host; this machine's link to the login node cut under a follower. A compute node that crashes mid-run (every
// process of it killed) ends the job within seconds with the rank and node in the error; after the node is back, `reef
// runs resume` continues from the last checkpoint and ends bit-exactly where an uninterrupted job ends; a cancelled run
// goes on with `reef runs resume`; a compute node cut off mid-run is named by rank 0 after the collective timeout.
// Skipped, with the reason, where namespaces cannot be made (not root, no CAP_SYS_ADMIN).
#include "backend/cluster/remote_backend.h"
#include "backend/protocol/run_dir.h"
#include "backend/sweep/sweep_store.h"
#include "storage/run_query.h"
#include "storage/workspace_index.h"
#include "tests/support/training_equivalence.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

#include <fstream>
#include <map>

using namespace reef;
using namespace reef::test;
namespace fs = std::filesystem;

namespace {

const QString kScript = sourceDir() + "/tests/cluster/netns_cluster.sh";

// Short runs that every setup computes alike: no warm-up, plain SGD.
QStringList sets(const QStringList& keyValues) {
  QStringList out;
  for (const QString& kv :
       QStringList{"trainer.log_interval=1", "data.workers=0", "trainer.test_at_end=false",
                   "trainer.limit_val_batches=1", "optim.warmup_steps=0", "optim.name=sgd", "optim.lr=0.05"} +
           keyValues)
    out << "--set" << kv;
  return out;
}

const QStringList kLlama = {"model.dim=64",     "model.layers=2",      "model.heads=4",
                            "model.kv_heads=2", "data.context=32",     "trainer.gradient_clip_norm=0.5",
                            "optim.lr=0.1",     "trainer.max_steps=5", "trainer.limit_val_batches=1"};

}  // namespace

class TestClusterNodes : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString clusterDir_;
  QProcessEnvironment env_;
  bool up_ = false;

  QString workspace() const { return dir_.filePath("workspace"); }
  QString remoteWorkspace() const { return dir_.filePath("cluster home/reef"); }  // a space on purpose
  fs::path remoteRun(const fs::path& run) const {
    return fs::path(remoteWorkspace().toStdString()) / "runs" / run.filename();
  }

  ReefRun script(const QStringList& args, int timeoutMs = 120000) { return runProgram(kScript, args, timeoutMs); }
  ReefRun reef(const QStringList& args, int timeoutMs = 300000) { return runReef(args, timeoutMs, env_); }

  // `reef submit` of `spec` to the netns cluster, followed to its end; the local run directory.
  fs::path submit(const QString& spec, const QStringList& overrides, bool detach = false) {
    QStringList args = {"submit", "--cluster", "nodes", spec, "--workspace", workspace()};
    if (detach) args << "--detach";
    const ReefRun r = reef(args + overrides);
    if (r.exitCode != 0) qWarning("reef submit: %s%s", qPrintable(r.out), qPrintable(r.err));
    const QString line = r.out.section('\n', 0, 0);
    return r.exitCode == 0 && line.startsWith("run directory: ") ? fs::path(line.mid(15).toStdString()) : fs::path();
  }

  fs::path trainHere(const QString& name, const QString& spec, const QStringList& overrides,
                     const QStringList& launch = {}) {
    const fs::path run = fs::path(dir_.path().toStdString()) / name.toStdString();
    const QStringList command = launch.isEmpty() ? QStringList{"train"} : launch;
    const ReefRun r =
        reef(command + QStringList{spec, "--run-dir", QString::fromStdString(run.string()), "--plain"} + overrides);
    if (r.exitCode != 0) qWarning("%s", qPrintable(r.err));
    return r.exitCode == 0 ? run : fs::path();
  }

  // The run index's view of `run` (what the studio shows), brought up to date.
  Json indexed(const fs::path& run) {
    storage::WorkspaceIndex index(workspace().toStdString());
    index.sync();
    return storage::runDetails(index.db(), index.resolveRun(run.filename().string()));
  }

  // Each rank's log came back with the run, naming its host.
  void expectRankLogs(const fs::path& run, int ranks) {
    for (int rank = 0; rank < ranks; ++rank) {
      const std::string log = fileBytes(protocol::RunDir(run).rankLog(rank));
      const std::string host = rank < ranks / 2 ? "node1" : "node2";
      const std::string who = "rank " + std::to_string(rank) + " of " + std::to_string(ranks) + " on " + host;
      QVERIFY2(log.find(who) != std::string::npos, (who + " is not in its log: " + log.substr(0, 300)).c_str());
    }
  }

 private Q_SLOTS:
  void initTestCase() {
    if (::geteuid() != 0) QSKIP("the netns cluster needs root (network namespaces, a bridge, Slurm's daemons)");
    clusterDir_ = dir_.filePath("netns");
    const ReefRun up = script({"up", clusterDir_});
    if (up.err.contains("cannot create network namespaces")) QSKIP(qPrintable(up.err.trimmed()));
    QVERIFY2(up.exitCode == 0, qPrintable(up.out + up.err));
    up_ = true;
    env_ = QProcessEnvironment::systemEnvironment();
    env_.insert("REEF_CONFIG_DIR", dir_.filePath("config"));
    const ReefRun add = reef({"cluster",
                              "add",
                              "nodes",
                              "--host",
                              "10.231.7.1",
                              "--user",
                              "root",
                              "--key",
                              clusterDir_ + "/user_key",
                              "--known-hosts",
                              clusterDir_ + "/known_hosts",
                              "--workspace",
                              remoteWorkspace(),
                              "--reef",
                              REEF_BINARY,
                              "--network-interface",
                              "eth0",
                              "--env",
                              "export REEF_DATA=" + qEnvironmentVariable("REEF_DATA", sourceDir() + "/data"),
                              "--time",
                              "00:10:00"});
    QVERIFY2(add.exitCode == 0, qPrintable(add.err));
    const ReefRun test = reef({"cluster", "test", "nodes", "--json"});
    QVERIFY2(test.exitCode == 0, qPrintable(test.err));
    QCOMPARE(Json::parse(test.out.toStdString())["partitions"][0].get<std::string>(), std::string("compute*"));
  }

  void cleanupTestCase() {
    if (up_) script({"down", clusterDir_});
  }

  void dataParallelAcrossNodesEqualsOneProcess_data() {
    QTest::addColumn<int>("tasksPerNode");
    QTest::newRow("2 nodes x 1 task") << 1;
    QTest::newRow("2 nodes x 2 tasks") << 2;
  }

  void dataParallelAcrossNodesEqualsOneProcess() {
    QFETCH(int, tasksPerNode);
    const int ranks = 2 * tasksPerNode;
    const QString spec = example("vision/mnist_cnn.yaml");
    const fs::path single = trainHere(QString("single-%1").arg(ranks), spec,
                                      sets({"trainer.max_steps=5", "model.dropout=0", "data.batch_size=64"}));
    QVERIFY(!single.empty());
    const fs::path run =
        submit(spec, sets({"trainer.max_steps=5", "model.dropout=0", QString("data.batch_size=%1").arg(64 / ranks),
                           "resources.nodes=2", QString("resources.tasks_per_node=%1").arg(tasksPerNode)}));
    QVERIFY(!run.empty());
    const Json started = eventsOfType(run, "run_started").at(0);
    QCOMPARE(started["world_size"].get<int>(), ranks);
    QCOMPARE(started["host"].get<std::string>(), std::string("node1"));  // rank 0 on the first node
    QCOMPARE(trainLosses(run).size(), size_t(5));                        // the events came back
    expectSameTraining(single, remoteRun(run));
    expectRankLogs(run, ranks);
  }

  void shardedAcrossNodesEqualsOneProcess() {
    const QString spec = example("llm/kjv_llama.yaml");
    const fs::path single = trainHere("llama-single", spec, sets(kLlama + QStringList{"data.batch_size=8"}));
    QVERIFY(!single.empty());
    const fs::path run = submit(spec, sets(kLlama + QStringList{"data.batch_size=4", "trainer.strategy=fsdp",
                                                                "resources.nodes=2", "resources.tasks_per_node=1"}));
    QVERIFY(!run.empty());
    QCOMPARE(eventsOfType(run, "run_started").at(0)["strategy"].get<std::string>(), std::string("fsdp"));
    expectSameTraining(single, remoteRun(run));
    for (int r = 0; r < 2; ++r)
      QVERIFY(fs::exists(remoteRun(run) / "checkpoints/step-5" / ("fsdp-rank-" + std::to_string(r) + ".safetensors")));
    expectRankLogs(run, 2);
  }

  // This machine cut off the login node for 20 s under a running follower (sshd drops the
  // session after 6 s without an answer; the job goes on): it reconnects by itself and
  // every point arrives once. This job is also the uninterrupted reference of the next test.
  void aCutLinkToTheLoginNodeLosesNothing() {
    reference_ = submit(example("vision/mnist_cnn.yaml"), sets(kFaultRun), true);
    QVERIFY(!reference_.empty());
    QProcess follower;
    follower.setProcessEnvironment(env_);
    follower.start(REEF_BINARY, {"runs", "follow", QString::fromStdString(reference_.string())});
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 120000 && eventsOfType(reference_, "metric").size() < 5) QTest::qWait(100);
    QVERIFY2(eventsOfType(reference_, "metric").size() >= 5, "no points came back");
    QVERIFY(script({"cut", "submit"}).exitCode == 0);
    QTest::qWait(20000);
    QVERIFY(script({"mend", "submit"}).exitCode == 0);
    QVERIFY2(follower.waitForFinished(300000), "the follower did not finish");
    const QString said = QString::fromUtf8(follower.readAllStandardOutput() + follower.readAllStandardError());
    QVERIFY2(follower.exitCode() == 0, qPrintable(said));
    QVERIFY2(said.contains("disconnected"), qPrintable("the drop was not reported: " + said));
    QCOMPARE(fileBytes(reference_ / "events.jsonl"), fileBytes(remoteRun(reference_) / "events.jsonl"));
    QCOMPARE(trainLosses(reference_).size(), size_t(kFaultSteps / 5));
  }

  // A compute node crashes (every process of it killed at once) after the step-100 checkpoint:
  // the job ends without waiting for a timeout, the error names the node and the rank; with the
  // node back, the run continues from its checkpoint (Slurm's requeue, or `reef runs resume`) and
  // ends bit-exactly where the uninterrupted job ended.
  void aCrashedNodeEndsTheJobAndTheRunResumes() {
    QVERIFY2(!reference_.empty(), "needs the reference job of aCutLinkToTheLoginNodeLosesNothing");
    const fs::path run = submit(example("vision/mnist_cnn.yaml"), sets(kFaultRun), true);
    QVERIFY(!run.empty());
    const fs::path checkpoint = remoteRun(run) / "checkpoints/step-100";
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 180000 && !fs::exists(checkpoint)) QTest::qWait(50);
    QVERIFY2(fs::exists(checkpoint), "no checkpoint at step 100");
    QVERIFY(script({"crash", "node2", clusterDir_}).exitCode == 0);
    clock.restart();
    cluster::RemoteBackend backend(
        cluster::ClusterProfiles(dir_.filePath("config/clusters.json").toStdString()).get("nodes"));
    cluster::RunState state;
    while (clock.elapsed() < 120000) {  // ended, or requeued by Slurm to wait for nodes
      state = backend.follow(run);
      if (state.finished || state.state == "PENDING") break;
      QTest::qWait(500);
    }
    const double ended = clock.elapsed() / 1000.0;
    QVERIFY2(state.finished || state.state == "PENDING",
             qPrintable("the job hangs: " + QString::fromStdString(state.state)));
    std::string errors = fileBytes(run / "logs" / ("slurm-" + cluster::RemoteRun::read(run).job + ".out"));
    for (const auto& f : eventsOfType(run, "run_finished")) errors += f.value("error", std::string()) + "\n";
    qInfo("node2 crashed at step >= 100: the job %s %.1f s later; what the user reads:\n%s", state.state.c_str(), ended,
          errors.c_str());
    QVERIFY2(errors.find("rank 1 on node2") != std::string::npos, errors.c_str());
    if (!state.finished) QCOMPARE(indexed(run)["run"]["status"].get<std::string>(), std::string("requeued"));
    QVERIFY(script({"boot", "node2", clusterDir_}).exitCode == 0);
    const ReefRun resumed = state.finished ? reef({"runs", "resume", QString::fromStdString(run.string())}, 600000)
                                           : reef({"runs", "follow", QString::fromStdString(run.string())}, 600000);
    QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.out + resumed.err));
    qInfo("node2 booted: the run %s and completed %.1f s later", state.finished ? "was resumed" : "restarted by itself",
          resumed.seconds);
    const auto started = eventsOfType(run, "run_started");
    QVERIFY2(started.size() >= 2 && started.back().value("resumed_from_step", int64_t(-1)) >= 100,
             started.back().dump().c_str());
    QCOMPARE(eventsOfType(run, "run_finished").back()["status"].get<std::string>(), std::string("completed"));
    // Bit-exact: every weight and every optimizer tensor, and the losses after the resume.
    const auto a = checkpointOf(remoteRun(reference_), kFaultSteps), b = checkpointOf(remoteRun(run), kFaultSteps);
    for (const auto* maps : {&a.weights, &a.trainerTensors})
      for (const auto& [name, t] : *maps) {
        const auto& other = maps == &a.weights ? b.weights : b.trainerTensors;
        QVERIFY2(other.count(name) && torch::equal(t, other.at(name)), name.c_str());
      }
    const auto la = trainLosses(reference_), lb = trainLosses(run);
    QCOMPARE(lb.back(), la.back());
    // What the studio's overview lists: the session the crash ended, and the one that went on.
    const Json sessions = indexed(run)["sessions"];
    QVERIFY2(sessions.size() >= 2, sessions.dump().c_str());
    QVERIFY2(sessions.front()["error"].get<std::string>().find("rank 1 on node2") != std::string::npos,
             sessions.dump().c_str());
    QVERIFY(sessions.back()["resumed_from_step"].get<int64_t>() >= 100);
    QCOMPARE(sessions.back()["status"].get<std::string>(), std::string("completed"));
  }

  // A 2-node run cancelled after a checkpoint (it ends as cancelled) goes on with `reef runs
  // resume`, which submits its job again; a run of this machine is pointed to `reef train`.
  void aCancelledRunResumes() {
    const fs::path run = submit(example("vision/mnist_cnn.yaml"), sets(kFaultRun), true);
    QVERIFY(!run.empty());
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 180000 && !fs::exists(remoteRun(run) / "checkpoints/step-100")) QTest::qWait(50);
    const QString arg = QString::fromStdString(run.string());
    QVERIFY(reef({"runs", "cancel", arg}).exitCode == 0);
    QCOMPARE(reef({"runs", "follow", arg}).exitCode, 130);
    const ReefRun resumed = reef({"runs", "resume", arg});
    QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.out + resumed.err));
    QVERIFY2(resumed.out.contains("continues " + QString::fromStdString(run.filename().string())),
             qPrintable(resumed.out));
    QVERIFY(eventsOfType(run, "run_started").back().value("resumed_from_step", int64_t(-1)) >= 100);
    QCOMPARE(eventsOfType(run, "run_finished").back()["step"].get<int64_t>(), int64_t(kFaultSteps));
    const ReefRun here = reef({"runs", "resume", dir_.filePath("single-2")});  // trained here by the DDP test
    QCOMPARE(here.exitCode, 1);
    QVERIFY2(here.err.contains("ran on this machine: continue it with `reef train"), qPrintable(here.err));
  }

  // A sweep of four one-node trials, all at once (max_concurrent: 4), on two nodes of two CPUs:
  // Slurm places them on both, and every trial ends.
  void aSweepSpreadsItsTrialsOverTheNodes() {
    const QString file = dir_.filePath("sweep.yaml");
    std::ofstream(file.toStdString())
        << "name: nodes-sweep\nbase:\n"
           "  model: {collection: vision, arch: cnn, width: 8, hidden: 32}\n"
           "  data: {dataset: mnist, batch_size: 64, workers: 0, val_size: 1000}\n"
           "  trainer: {max_steps: 200, val_interval: 50, limit_val_batches: 4, log_interval: 10, test_at_end: false,\n"
           "            threads: 1}\n"
           "method: random\nmetric: {name: val/acc, goal: maximize}\nseed: 5\n"
           "parameters: {optim.lr: {distribution: log_uniform, min: 1.0e-4, max: 0.1}}\n"
           "run_cap: 4\nmax_concurrent: 4\n";
    const QString workspace = dir_.filePath("sweep-workspace");
    const ReefRun r = reef({"sweep", file, "--workspace", workspace, "--target", "nodes"}, 600000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    const auto store =
        sweep::SweepStore::open(workspace.toStdString(), sweep::SweepStore::list(workspace.toStdString()).at(0));
    const sweep::SweepState state = store.load();
    QCOMPARE(state.status, std::string("completed"));
    QCOMPARE(state.trials.size(), size_t{4});
    std::map<std::string, int> trialsOn;
    for (const auto& t : state.trials) {
      QVERIFY2(t.status == sweep::TrialStatus::Completed, t.error.c_str());
      ++trialsOn[eventsOfType(t.runDir, "run_started").at(0)["host"].get<std::string>()];
    }
    qInfo("trials on node1: %d, on node2: %d", trialsOn["node1"], trialsOn["node2"]);
    QCOMPARE(trialsOn.size(), size_t{2});
  }

  // node2's link cut mid-run (its processes alive but unreachable, as with a failed switch port):
  // nothing fails at once, Gloo's timeout names nobody, and rank 0's error names the silent rank
  // and node from the heartbeats. Last of the suite: node2 stays cut until the cluster goes down.
  void aCutNodeIsNamedAfterTheCollectiveTimeout() {
    const fs::path run =
        submit(example("vision/mnist_cnn.yaml"),
               sets(kFaultRun + QStringList{"trainer.max_steps=4000", "trainer.collective_timeout=10"}), true);
    QVERIFY(!run.empty());
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 180000 && !fs::exists(remoteRun(run) / "checkpoints/step-100")) QTest::qWait(50);
    QVERIFY(script({"cut", "node2"}).exitCode == 0);
    clock.restart();
    std::vector<Json> finished;  // read on the cluster's side: its file system is this machine's
    while (finished.empty() && clock.elapsed() < 60000) {
      QTest::qWait(200);
      finished = eventsOfType(remoteRun(run), "run_finished");
    }
    QVERIFY2(!finished.empty(), "rank 0 still waits for node2");
    const std::string error = finished.back().value("error", std::string());
    qInfo("node2 cut off: rank 0 gave up %.1f s later: %s", clock.elapsed() / 1000.0, error.c_str());
    QVERIFY2(error.find("rank 0 of 2 on node1") == 0, error.c_str());
    QVERIFY2(error.find("no sign of life from rank 1 on node2") != std::string::npos, error.c_str());
    QVERIFY(reef({"runs", "cancel", QString::fromStdString(run.string())}).exitCode == 0);
  }

 private:
  static constexpr int kFaultSteps = 400;
  const QStringList kFaultRun = {
      "trainer.max_steps=400",     "trainer.log_interval=5", "trainer.val_interval=50", "trainer.collective_timeout=60",
      "trainer.threads=1",         "model.dropout=0",        "data.batch_size=32",      "resources.nodes=2",
      "resources.tasks_per_node=1"};
  fs::path reference_;
};

QTEST_GUILESS_MAIN(TestClusterNodes)
#include "tst_cluster_nodes.moc"

// Full disks. Each part runs on a small tmpfs that the test mounts itself (as root; elsewhere it
// skips, saying why) and fills with the operation under test, then grows it, as a user frees space:
// - training that runs out of space ends with an error naming the path; every checkpoint written
//   before is intact (bit-identical to an uninterrupted run's); with space again it resumes and ends
//   bit-identical to a run that never ran out;
// - an export that runs out of space fails naming its file and leaves nothing behind;
// - the run index that cannot grow fails naming its database; with space again, one sync leaves it
//   equal to a rebuild;
// - a sweep whose disk fills while a trial trains pauses with an error naming the disk; its state
//   stays readable, and with space again `reef sweep resume` continues that trial from its last
//   checkpoint and ends with every trial completed, none lost or failed.
#include "tests/support/index_snapshot.h"
#include "tests/support/logged_steps.h"
#include "tests/support/reef_cli.h"

#include "backend/protocol/run_dir.h"
#include "backend/sweep/sweep_store.h"
#include "storage/workspace_index.h"

#include <QTemporaryDir>
#include <QtTest>

#include <unistd.h>

#include <thread>

using namespace reef;
using namespace reef::test;
namespace fs = std::filesystem;

namespace {

QStringList trainArgs(const fs::path& run) {
  QStringList args{"train", example("vision/mnist_cnn.yaml"), "--run-dir", QString::fromStdString(run.string()),
                   "--plain"};
  for (const char* s :
       {"trainer.max_steps=60", "trainer.val_interval=30", "exp.checkpoint_interval=10", "trainer.limit_val_batches=2",
        "trainer.test_at_end=false", "exp.keep_top_k=-1", "data.workers=1"})
    args << "--set" << s;
  return args;
}

bool sameCheckpoint(const fs::path& a, const fs::path& b) {
  for (const char* f : {"model.safetensors", "trainer_state.safetensors"})  // (the .json holds times)
    if (fileBytes(a / f).empty() || fileBytes(a / f) != fileBytes(b / f)) return false;
  return true;
}

bool noSpaceError(const QString& err, const fs::path& where) {
  return err.contains(QString::fromStdString(where.string())) &&
         (err.contains("disk full") || err.contains("No space left") || err.contains("disk is full"));
}

const char* kSweep = R"(name: full-disk
base:
  model: {collection: vision, arch: cnn, width: 8, hidden: 32}
  data: {dataset: mnist, batch_size: 64, workers: 1, val_size: 1000}
  trainer: {max_steps: 400, val_interval: 50, limit_val_batches: 2, log_interval: 10, test_at_end: false}
  exp: {monitor: val/acc, monitor_mode: max, checkpoint_interval: 50}
method: random
metric: {name: val/acc, goal: maximize}
parameters:
  optim.lr: {distribution: log_uniform, min: 1.0e-4, max: 1.0e-2}
run_cap: 2
max_concurrent: 1
seed: 5
)";

// Writes into `disk` until nothing more fits.
fs::path fillUp(const fs::path& disk) {
  const fs::path filler = disk / "filler";
  std::ofstream out(filler, std::ios::binary);
  for (const size_t chunk : {size_t{1} << 20, size_t{4096}, size_t{1}})
    while (out.write(std::string(chunk, 'x').data(), static_cast<std::streamsize>(chunk)).flush()) {
    }
  return filler;
}

// Polls (every 50 ms, 60 s at most) until the workspace's one sweep has a trial whose run has a
// checkpoint at `step` or later and trains on; returns that run, or "".
fs::path trialPastCheckpoint(const fs::path& workspace, int64_t step) {
  for (int i = 0; i < 1200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto ids = sweep::SweepStore::list(workspace);
    if (ids.empty()) continue;
    for (const auto& t : sweep::SweepStore::open(workspace, ids[0]).load().trials) {
      const auto steps = t.runDir.empty() ? std::vector<int64_t>{} : protocol::RunDir(t.runDir).checkpointSteps();
      if (t.status == sweep::TrialStatus::Running && !steps.empty() && steps.back() >= step) return t.runDir;
    }
  }
  return {};
}

}  // namespace

class TestFullDisk : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::vector<fs::path> mounts_;
  fs::path path(const char* name) const { return fs::path(dir_.path().toStdString()) / name; }

  // A tmpfs of `megabytes` at `where`; false (with the reason in `why`) where it cannot be mounted.
  bool mountTmpfs(const fs::path& where, int megabytes, QString& why) {
    fs::create_directories(where);
    const ReefRun r = runProgram("mount", {"-t", "tmpfs", "-o", QString("size=%1m").arg(megabytes), "tmpfs",
                                           QString::fromStdString(where.string())});
    why = r.err.trimmed();
    if (r.exitCode == 0) mounts_.push_back(where);
    return r.exitCode == 0;
  }
  void grow(const fs::path& where, int megabytes) {
    const ReefRun r =
        runProgram("mount", {"-o", QString("remount,size=%1m").arg(megabytes), QString::fromStdString(where.string())});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
  }

 private Q_SLOTS:
  void initTestCase() {
    if (::geteuid() != 0) QSKIP("mounting a tmpfs needs root: run the suite as root to test full disks");
    QString why;
    if (!mountTmpfs(path("probe"), 1, why)) QSKIP(qPrintable("cannot mount a tmpfs here (" + why + ")"));
    const ReefRun r = runReef(trainArgs(path("straight")));
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
  }

  void cleanupTestCase() {
    for (auto it = mounts_.rbegin(); it != mounts_.rend(); ++it)
      runProgram("umount", {QString::fromStdString(it->string())});
  }

  void trainingOutOfSpaceKeepsItsCheckpointsAndResumes() {
    const fs::path disk = path("train-disk"), run = disk / "run";
    QString why;
    QVERIFY2(mountTmpfs(disk, 16, why), qPrintable(why));  // room for about two checkpoints of 4.9 MB
    const ReefRun full = runReef(trainArgs(run));
    QVERIFY2(full.exitCode != 0, "training on a full disk succeeded");
    QVERIFY2(noSpaceError(full.err, run), qPrintable(full.err));
    int intact = 0;
    for (const int64_t step : protocol::RunDir(run).checkpointSteps()) {
      const std::string name = "checkpoints/step-" + std::to_string(step);
      QVERIFY2(sameCheckpoint(run / name, path("straight") / name), name.c_str());
      ++intact;
    }
    QVERIFY2(intact >= 1 && intact < 6, qPrintable(QString("%1 checkpoints").arg(intact)));
    grow(disk, 200);
    const ReefRun resumed = runReef(trainArgs(run));
    QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
    QVERIFY(sameCheckpoint(run / "checkpoints/step-60", path("straight") / "checkpoints/step-60"));
    qInfo("out of space after %d checkpoints: %s", intact, qPrintable(full.err.trimmed().split('\n').last()));
  }

  void exportOutOfSpaceLeavesNothingBehind() {
    const fs::path disk = path("export-disk"), bundle = disk / "mnist.reef";
    QString why;
    QVERIFY2(mountTmpfs(disk, 1, why), qPrintable(why));
    const ReefRun r = runReef({"export", QString::fromStdString(path("straight").string()), "--format", "bundle",
                               "--out", QString::fromStdString(bundle.string())});
    QVERIFY2(r.exitCode != 0, "an export onto a full disk succeeded");
    QVERIFY2(noSpaceError(r.err, bundle), qPrintable(r.err));
    QVERIFY2(fs::is_empty(disk), "the failed export left files");
    qInfo("%s", qPrintable(r.err.trimmed()));
  }

  void runIndexOutOfSpaceRecoversToARebuild() {
    const fs::path disk = path("index-disk");
    QString why;
    QVERIFY2(mountTmpfs(disk, 2, why), qPrintable(why));
    for (int i = 0; i < 8; ++i) {
      const fs::path copy = disk / "runs" / ("20261203-00000" + std::to_string(i) + "-full");
      fs::create_directories(copy);
      for (const char* f : {"spec.yaml", "events.jsonl"}) fs::copy(path("straight") / f, copy / f);
    }
    // Room for the database to start, not to hold the runs' points.
    const fs::path filler = disk / "filler";
    std::ofstream(filler) << std::string(static_cast<size_t>(fs::space(disk).available - 48 * 1024), 'x');
    const ReefRun full = runReef({"db", "sync", QString::fromStdString(disk.string())});
    QVERIFY2(full.exitCode != 0, qPrintable("a sync on a full disk succeeded: " + full.out));
    QVERIFY2(noSpaceError(full.err, storage::WorkspaceIndex::databasePath(disk)), qPrintable(full.err));
    qInfo("%s", qPrintable(full.err.trimmed()));
    fs::remove(filler);
    const ReefRun sync = runReef({"db", "sync", QString::fromStdString(disk.string())});
    QVERIFY2(sync.exitCode == 0, qPrintable(sync.err));
    Json live;
    {
      storage::WorkspaceIndex index(disk);
      live = indexSnapshot(index.db());
    }
    storage::WorkspaceIndex::rebuild(disk);
    storage::WorkspaceIndex rebuilt(disk);
    QVERIFY(indexSnapshot(rebuilt.db()) == live);
    QCOMPARE(live.size(), size_t(8));
  }

  void sweepOutOfSpacePausesAndResumesWithNothingLost() {
    const fs::path disk = path("sweep-disk"), file = path("full-disk-sweep.yaml");
    QString why;
    QVERIFY2(mountTmpfs(disk, 64, why), qPrintable(why));
    std::ofstream(file) << kSweep;
    QProcess controller;
    controller.start(QStringLiteral(REEF_BINARY), {"sweep", QString::fromStdString(file.string()), "--workspace",
                                                   QString::fromStdString(disk.string())});
    QVERIFY(controller.waitForStarted());
    const fs::path victim = trialPastCheckpoint(disk, 50);
    QVERIFY2(!victim.empty(), "no trial reached its first checkpoint");
    const fs::path filler = fillUp(disk);
    QVERIFY(controller.waitForFinished(120000));
    const QString err = QString::fromUtf8(controller.readAllStandardError());
    const QString out = QString::fromUtf8(controller.readAllStandardOutput());
    QVERIFY2(controller.exitCode() == 1, qPrintable(err));
    QVERIFY2(err.contains("paused") && err.contains(QString::fromStdString(disk.string())) && err.contains("is full"),
             qPrintable(err));
    const sweep::SweepStore store = sweep::SweepStore::open(disk, sweep::SweepStore::list(disk)[0]);
    QVERIFY(!store.load().trials.empty());  // readable: the last state written whole
    qInfo("%s", qPrintable(err.trimmed().split('\n').last()));
    fs::remove(filler);
    const ReefRun r = runReef(
        {"sweep", "resume", QString::fromStdString(store.id()), "--workspace", QString::fromStdString(disk.string())},
        280000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.out + r.err));
    // Either the disk stopped the trial and resume continued it, or the pause could not be
    // recorded and the trial trained on, followed by resume: nothing is lost either way (below).
    QVERIFY2(r.out.contains("continued from its last checkpoint") || out.contains("running trials are left to go on"),
             qPrintable(out + r.out));
    const sweep::SweepState state = store.load();
    QCOMPARE(state.status, std::string("completed"));
    QCOMPARE(state.trials.size(), size_t{2});
    for (const auto& t : state.trials) {
      QVERIFY2(t.status == sweep::TrialStatus::Completed, qPrintable(QString::fromStdString(t.error)));
      QCOMPARE(t.steps, int64_t{400});
      QCOMPARE(t.reports.size(), size_t{8});  // val/acc at steps 50, 100, ..., 400
    }
    QCOMPARE(fs::path(state.trials[0].runDir), victim);
    const auto steps = loggedSteps(victim);  // steps 10, 20, ..., 400, each once
    QCOMPARE(steps.size(), size_t{40});
    for (const auto& [step, values] : steps) QVERIFY2(values != Json("twice"), qPrintable(QString::number(step)));
  }
};

QTEST_GUILESS_MAIN(TestFullDisk)
#include "tst_full_disk.moc"

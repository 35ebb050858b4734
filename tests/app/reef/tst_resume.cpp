// Resume is bit-exact: 2N steps straight and N steps + kill + resume give identical weights and
// optimizer state, whether the process was killed after a checkpoint, killed half-way through
// writing one (kill -9: the previous checkpoint stays valid), or stopped with SIGTERM.
#include "tests/support/reef_cli.h"

#include <QTemporaryDir>
#include <QtTest>

#include <signal.h>
#include <unistd.h>
#include <thread>

using namespace reef;
using namespace reef::test;
namespace fs = std::filesystem;

namespace {

const QStringList kSettings = {"--set", "trainer.max_steps=60",
                               "--set", "trainer.val_interval=20",
                               "--set", "exp.checkpoint_interval=20",
                               "--set", "trainer.limit_val_batches=2",
                               "--set", "trainer.test_at_end=false",
                               "--set", "exp.keep_top_k=-1",
                               "--set", "data.workers=2"};

QStringList trainArgs(const fs::path& run) {
  return QStringList{"train", example("vision/mnist_cnn.yaml"), "--run-dir", QString::fromStdString(run.string())} +
         kSettings;
}

void expectIdenticalFinalState(const fs::path& a, const fs::path& b) {
  for (const char* f : {"model.safetensors", "trainer_state.safetensors"}) {
    const std::string x = fileBytes(a / "checkpoints/step-60" / f), y = fileBytes(b / "checkpoints/step-60" / f);
    QVERIFY2(!x.empty() && x == y, f);
  }
}

}  // namespace

class TestResume : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  fs::path straight_;

  // Starts training, waits for the checkpoint of `step`, then sends `signal`.
  void interruptAfterCheckpoint(const fs::path& run, int step, int signal) {
    QProcess p;
    p.start(QStringLiteral(REEF_BINARY), trainArgs(run));
    QVERIFY(p.waitForStarted());
    bool seen = false;
    for (int i = 0; i < 600 && !seen; ++i) {
      for (const auto& c : eventsOfType(run, "checkpoint")) seen = seen || c["step"].get<int>() >= step;
      if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    QVERIFY2(seen, "no checkpoint appeared");
    ::kill(static_cast<pid_t>(p.processId()), signal);
    QVERIFY(p.waitForFinished(60000));
    if (signal == SIGKILL) QCOMPARE(p.exitStatus(), QProcess::CrashExit);
  }

 private Q_SLOTS:
  void initTestCase() {
    straight_ = fs::path(dir_.path().toStdString()) / "straight";
    auto r = runReef(trainArgs(straight_));
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
  }

  void killedAfterACheckpoint() {
    const fs::path run = fs::path(dir_.path().toStdString()) / "killed";
    interruptAfterCheckpoint(run, 20, SIGKILL);
    auto r = runReef(trainArgs(run));
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    auto started = eventsOfType(run, "run_started");
    QCOMPARE(started.size(), size_t(2));
    QVERIFY(started[1]["resumed_from_step"].get<int>() >= 20);
    expectIdenticalFinalState(straight_, run);
  }

  void killedWhileWritingACheckpoint() {
    const fs::path run = fs::path(dir_.path().toStdString()) / "torn";
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("REEF_FAULT_KILL_IN_CHECKPOINT", "40");
    auto crashed = runReef(trainArgs(run), 120000, env);
    QCOMPARE(crashed.exitStatus, QProcess::CrashExit);
    QVERIFY(fs::exists(run / "checkpoints/.incomplete-step-40/model.safetensors"));
    QVERIFY(!fs::exists(run / "checkpoints/step-40"));
    auto r = runReef(trainArgs(run));
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(eventsOfType(run, "run_started")[1]["resumed_from_step"].get<int>(), 20);
    QVERIFY(!fs::exists(run / "checkpoints/.incomplete-step-40"));
    expectIdenticalFinalState(straight_, run);
  }

  void stoppedBySigtermCheckpointsAndResumes() {
    const fs::path run = fs::path(dir_.path().toStdString()) / "stopped";
    interruptAfterCheckpoint(run, 20, SIGTERM);
    auto finished = eventsOfType(run, "run_finished");
    QCOMPARE(finished.size(), size_t(1));
    QCOMPARE(finished[0]["status"].get<std::string>(), std::string("cancelled"));
    // The run's log names who sent the signal: this test.
    const std::string sender = "asked to stop by SIGTERM from " +
                               QCoreApplication::applicationName().left(15).toStdString() + " (pid " +
                               std::to_string(::getpid()) + ")";
    bool named = false;
    for (const auto& line : eventsOfType(run, "log")) named = named || line.value("message", std::string()) == sender;
    QVERIFY2(named, sender.c_str());
    const int stoppedAt = finished[0]["step"].get<int>();
    QVERIFY(fs::exists(run / ("checkpoints/step-" + std::to_string(stoppedAt))));
    auto r = runReef({"train", QString::fromStdString(run.string())});  // a run directory continues itself
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    expectIdenticalFinalState(straight_, run);
  }

  void corruptLatestCheckpointIsReportedNotSkipped() {
    const fs::path run = fs::path(dir_.path().toStdString()) / "corrupt";
    fs::copy(straight_, run, fs::copy_options::recursive);
    const fs::path model = run / "checkpoints/step-60/model.safetensors";
    fs::resize_file(model, fs::file_size(model) / 2);
    auto r = runReef(trainArgs(run));
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(
        r.err.contains("step-60 is unusable") && r.err.contains("truncated") && r.err.contains("model.safetensors"),
        qPrintable(r.err));
  }
};

QTEST_GUILESS_MAIN(TestResume)
#include "tst_resume.moc"

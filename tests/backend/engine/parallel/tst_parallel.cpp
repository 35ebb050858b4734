// Distributed training through `reef launch`: data parallelism over 2 and 4 Gloo processes, and
// the Llama model split by trainer.tensor_parallel (tp 2, and tp 2 x dp 2) or sharded by
// trainer.strategy fsdp (and one-rank jobs of both strategies), and the Mixtral model's experts
// split by trainer.expert_parallel (ep 2, ep 2 x dp 2), give the losses and
// parameters of one process on the same global batch (within 1e-5 relative), with checkpoints
// that hold the whole model; a rank that dies ends the job with its name in the error, quickly.
#include "backend/engine/parallel/dist_env.h"
#include "tests/support/training_equivalence.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include <signal.h>

#include <cmath>
#include <cstring>
#include <thread>

using namespace reef;
using namespace reef::test;
namespace fs = std::filesystem;

namespace {

const QStringList kSettings = {"--set",  "trainer.max_steps=5",
                               "--set",  "trainer.log_interval=1",
                               "--set",  "model.dropout=0",
                               "--set",  "data.workers=0",
                               "--set",  "trainer.test_at_end=false",
                               "--set",  "trainer.limit_val_batches=1",
                               "--set",  "optim.warmup_steps=0",
                               "--set",  "optim.name=sgd",
                               "--set",  "optim.lr=0.05",
                               "--plain"};

}  // namespace

class TestParallel : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  fs::path path(const QString& name) const { return fs::path(dir_.path().toStdString()) / name.toStdString(); }

 private Q_SLOTS:
  void dataParallelEqualsOneProcess_data() {
    QTest::addColumn<int>("ranks");
    QTest::newRow("2 ranks") << 2;
    QTest::newRow("4 ranks") << 4;
  }

  void dataParallelEqualsOneProcess() {
    QFETCH(int, ranks);
    const fs::path single = path(QString("single-%1").arg(ranks)), job = path(QString("ddp-%1").arg(ranks));
    auto one = runReef(QStringList{"train", example("vision/mnist_cnn.yaml"), "--run-dir",
                                   QString::fromStdString(single.string()), "--set", "data.batch_size=64"} +
                       kSettings);
    QVERIFY2(one.exitCode == 0, qPrintable(one.err));
    auto many = runReef(QStringList{"launch", "--nproc", QString::number(ranks), example("vision/mnist_cnn.yaml"),
                                    "--run-dir", QString::fromStdString(job.string()), "--set",
                                    QString("data.batch_size=%1").arg(64 / ranks)} +
                        kSettings);
    QVERIFY2(many.exitCode == 0, qPrintable(many.err));
    expectSameTraining(single, job);
    if (QTest::currentTestFailed()) return;
    QCOMPARE(eventsOfType(job, "run_started")[0]["world_size"].get<int>(), ranks);
    QCOMPARE(eventsOfType(job, "run_finished").size(), size_t(1));  // rank 0 alone writes events
  }

  void shardedLlamaEqualsOneProcess_data() {
    QTest::addColumn<int>("ranks");
    QTest::addColumn<int>("dp");
    QTest::addColumn<QStringList>("strategy");
    QTest::addColumn<bool>("tied");
    QTest::addColumn<QString>("reported");
    QTest::addColumn<QStringList>("model");  // for both runs
    QTest::newRow("tp 2, tied embeddings")
        << 2 << 1 << QStringList{"--set", "trainer.tensor_parallel=2"} << true << "tp" << QStringList{};
    QTest::newRow("tp 2 x dp 2, separate output head")
        << 4 << 2 << QStringList{"--set", "trainer.tensor_parallel=2"} << false << "tp+ddp" << QStringList{};
    QTest::newRow("fsdp 2") << 2 << 2 << QStringList{"--set", "trainer.strategy=fsdp"} << true << "fsdp"
                            << QStringList{};
    // A one-rank job (reef launch --nproc 1) still joins its process group and runs each collective:
    // the check scripts/gpu-check.sh makes with NCCL on one GPU.
    QTest::newRow("ddp, 1 rank") << 1 << 1 << QStringList{} << true << "ddp" << QStringList{};
    QTest::newRow("fsdp, 1 rank") << 1 << 1 << QStringList{"--set", "trainer.strategy=fsdp"} << true << "fsdp"
                                  << QStringList{};
    // Mixtral with its 4 experts split over 2 ranks, each rank with its own data. A capacity of
    // experts / top_k drops no token, as in one process. The balance loss is computed over the
    // expert-parallel group, so one process equals ep 2 with it, and ep 2 x dp 2 without it.
    const QStringList mixtral = {"--set", "model.arch=mixtral", "--set", "model.experts=4",
                                 "--set", "model.top_k=2",      "--set", "model.capacity_factor=2"};
    QTest::newRow("ep 2, balance loss") << 2 << 2 << QStringList{"--set", "trainer.expert_parallel=2"} << true << "ep"
                                        << mixtral + QStringList{"--set", "model.aux_loss_coef=0.1"};
    QTest::newRow("ep 2 x dp 2") << 4 << 4 << QStringList{"--set", "trainer.expert_parallel=2"} << false << "ep+ddp"
                                 << mixtral + QStringList{"--set", "model.aux_loss_coef=0"};
  }

  void shardedLlamaEqualsOneProcess() {
    QFETCH(int, ranks);
    QFETCH(int, dp);
    QFETCH(QStringList, strategy);
    QFETCH(bool, tied);
    QFETCH(QString, reported);
    QFETCH(QStringList, model);
    // Small enough for four processes on two cores; clipping engages, so the gradient norm must
    // count every shard once; SGD with momentum and weight decay (of matrices only, also inside
    // FSDP's flat shards).
    const QStringList llama = QStringList{"--set",  "model.dim=64",
                                          "--set",  "model.layers=2",
                                          "--set",  "model.heads=4",
                                          "--set",  "model.kv_heads=2",
                                          "--set",  QString("model.tie_embeddings=") + (tied ? "true" : "false"),
                                          "--set",  "data.context=32",
                                          "--set",  "data.workers=0",
                                          "--set",  "trainer.max_steps=5",
                                          "--set",  "trainer.log_interval=1",
                                          "--set",  "trainer.limit_val_batches=1",
                                          "--set",  "trainer.gradient_clip_norm=0.5",
                                          "--set",  "optim.warmup_steps=0",
                                          "--set",  "optim.name=sgd",
                                          "--set",  "optim.lr=0.1",
                                          "--plain"} +
                              model;
    const QString spec = example("llm/kjv_llama.yaml");
    const QString tag = QString(QTest::currentDataTag()).replace(' ', '_');
    const fs::path single = path("llama-single-" + tag), job = path("llama-" + tag);
    auto one = runReef(
        QStringList{"train", spec, "--run-dir", QString::fromStdString(single.string()), "--set", "data.batch_size=8"} +
        llama);
    QVERIFY2(one.exitCode == 0, qPrintable(one.err));
    auto many =
        runReef(QStringList{"launch", "--nproc", QString::number(ranks), spec, "--run-dir",
                            QString::fromStdString(job.string()), "--set", QString("data.batch_size=%1").arg(8 / dp)} +
                strategy + llama);
    QVERIFY2(many.exitCode == 0, qPrintable(many.err));
    expectSameTraining(single, job);
    if (QTest::currentTestFailed()) return;
    const double momentum =
        relativeDifference(checkpointOf(single, 5).trainerTensors, checkpointOf(job, 5).trainerTensors, ".momentum");
    QVERIFY2(momentum < 1e-5, qPrintable(QString("optimizer state differs by %1 (relative)").arg(momentum)));
    const auto norms = [](const fs::path& run) {
      std::vector<double> out;
      for (const auto& m : eventsOfType(run, "metric"))
        if (m["values"].contains("train/grad_norm")) out.push_back(m["values"]["train/grad_norm"].get<double>());
      return out;
    };
    const auto na = norms(single), nb = norms(job);
    QVERIFY2(na.size() == 5 && na[0] > 0.5, "clipping engages in this test");
    for (size_t i = 0; i < na.size(); ++i)
      QVERIFY2(std::abs(na[i] - nb[i]) <= 1e-5 * na[i],
               qPrintable(QString("grad norm %1 vs %2").arg(na[i]).arg(nb[i])));
    const Json started = eventsOfType(job, "run_started")[0];
    QCOMPARE(QString::fromStdString(started["strategy"].get<std::string>()), reported);
    QCOMPARE(started["parameters"], eventsOfType(single, "run_started")[0]["parameters"]);
    const auto val = [](const fs::path& run) {
      double v = NAN;
      for (const auto& m : eventsOfType(run, "metric"))
        if (m["values"].contains("val/loss")) v = m["values"]["val/loss"].get<double>();
      return v;
    };
    QVERIFY2(std::abs(val(single) - val(job)) < 1e-5 * val(single), "validation split across ranks");

    if (reported == "fsdp") {
      // Every rank wrote its own shards, nothing was gathered, and one process reads them whole.
      const fs::path step5 = job / "checkpoints/step-5";
      QVERIFY(fs::exists(step5 / "fsdp-layout.json"));
      for (int r = 0; r < ranks; ++r) QVERIFY(fs::exists(step5 / ("fsdp-rank-" + std::to_string(r) + ".safetensors")));
      QVERIFY(!engine::loadTensors(step5 / "model.safetensors").count("model.layers.0.self_attn.q_proj.weight"));
      const auto evalLoss = [](const fs::path& run) {
        const ReefRun r =
            runReef({"eval", QString::fromStdString(run.string()), "--checkpoint", "5", "--split", "val", "--json"});
        return r.exitCode == 0 ? Json::parse(r.out.toStdString())["metrics"]["val/loss"].get<double>() : NAN;
      };
      const double a = evalLoss(single), b = evalLoss(job);
      QVERIFY2(std::abs(a - b) <= 1e-5 * a, qPrintable(QString("reef eval: %1 vs %2").arg(a).arg(b)));
    }

    // The whole-model checkpoint continues in one process.
    auto resumed = runReef(QStringList{"train", QString::fromStdString(job.string()), "--set", "trainer.max_steps=6",
                                       "--set", "trainer.tensor_parallel=1", "--set", "trainer.expert_parallel=1",
                                       "--set", "trainer.strategy=ddp", "--plain"});
    QVERIFY2(resumed.exitCode == 0, qPrintable(resumed.err));
    QVERIFY(fs::exists(job / "checkpoints/step-6/model.safetensors"));
  }

  void splittingNeedsAModelThatSplits() {
    const fs::path job = path("cnn-tp");
    auto r = runReef(QStringList{"launch", "--nproc", "2", example("vision/mnist_cnn.yaml"), "--run-dir",
                                 QString::fromStdString(job.string()), "--set", "trainer.tensor_parallel=2"} +
                     kSettings);
    QVERIFY(r.exitCode != 0);
    QVERIFY2(r.err.contains("has no tensor-parallel layers"), qPrintable(r.err));
    auto unsharded =
        runReef(QStringList{"launch", "--nproc", "2", example("vision/mnist_cnn.yaml"), "--run-dir",
                            QString::fromStdString(path("cnn-fsdp").string()), "--set", "trainer.strategy=fsdp"} +
                kSettings);
    QVERIFY(unsharded.exitCode != 0);
    QVERIFY2(unsharded.err.contains("has no blocks to shard"), qPrintable(unsharded.err));
    auto odd = runReef(QStringList{"train", example("llm/kjv_llama.yaml"), "--run-dir",
                                   QString::fromStdString(path("odd").string()), "--set", "trainer.tensor_parallel=2",
                                   "--plain"});
    QVERIFY(odd.exitCode != 0);
    QVERIFY2(odd.err.contains("must divide the number of ranks"), qPrintable(odd.err));
    auto dense = runReef(QStringList{"launch", "--nproc", "2", example("llm/kjv_llama.yaml"), "--run-dir",
                                     QString::fromStdString(path("dense-ep").string()), "--set",
                                     "trainer.expert_parallel=2", "--set", "trainer.max_steps=1", "--plain"});
    QVERIFY(dense.exitCode != 0);
    QVERIFY2(dense.err.contains("has no experts to split"), qPrintable(dense.err));
    auto uneven = runReef(QStringList{"launch", "--nproc", "2", example("llm/kjv_llama.yaml"), "--run-dir",
                                      QString::fromStdString(path("uneven-ep").string()), "--set", "model.arch=mixtral",
                                      "--set", "model.experts=3", "--set", "trainer.expert_parallel=2", "--set",
                                      "trainer.max_steps=1", "--plain"});
    QVERIFY(uneven.exitCode != 0);
    QVERIFY2(uneven.err.contains("model.experts (3) must be divisible by trainer.expert_parallel (2)"),
             qPrintable(uneven.err));
  }

  void dataParallelResumesExactlyWithDropout() {
    // Every rank's dropout stream is in the checkpoint: 3 steps, a new job continuing to 6, equals
    // 6 steps in one go, bit for bit.
    QStringList settings = kSettings;
    settings.replace(settings.indexOf("model.dropout=0"), "model.dropout=0.3");
    settings << "--set"
             << "optim.schedule=constant"
             << "--set"
             << "data.batch_size=32";
    QStringList six = settings, three = settings;
    six.replace(six.indexOf("trainer.max_steps=5"), "trainer.max_steps=6");
    three.replace(three.indexOf("trainer.max_steps=5"), "trainer.max_steps=3");
    const fs::path whole = path("ddp-whole"), split = path("ddp-split");
    auto a = runReef(QStringList{"launch", "--nproc", "2", example("vision/mnist_cnn.yaml"), "--run-dir",
                                 QString::fromStdString(whole.string())} +
                     six);
    QVERIFY2(a.exitCode == 0, qPrintable(a.err));
    auto b = runReef(QStringList{"launch", "--nproc", "2", example("vision/mnist_cnn.yaml"), "--run-dir",
                                 QString::fromStdString(split.string())} +
                     three);
    QVERIFY2(b.exitCode == 0, qPrintable(b.err));
    auto c = runReef(QStringList{"launch", "--nproc", "2", QString::fromStdString(split.string()), "--set",
                                 "trainer.max_steps=6", "--plain"});
    QVERIFY2(c.exitCode == 0, qPrintable(c.err));
    const double diff = relativeDifference(checkpointOf(whole, 6).weights, checkpointOf(split, 6).weights);
    QVERIFY2(diff == 0, qPrintable(QString("resumed parameters differ by %1 (relative)").arg(diff)));
  }

  // Waits until the job of `launcher` in `job` trains (step 50), then sends rank 1 `signal`.
  static bool signalRank1WhenTraining(const fs::path& job, int signal) {
    bool training = false;
    for (int i = 0; i < 600 && !training; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      for (const auto& m : eventsOfType(job, "metric")) training = training || m["step"].get<int>() >= 50;
    }
    return training && ::kill(rank1(job), signal) == 0;
  }

  static pid_t rank1(const fs::path& job) {
    std::ifstream in(job / "logs/launch.json");
    return static_cast<pid_t>(Json::parse(in)["ranks"][1]["pid"].get<int64_t>());
  }

  static void startJob(QProcess& launcher, const fs::path& job, const QStringList& sets = {}) {
    QStringList args = {"launch",    "--nproc",
                        "2",         example("vision/mnist_cnn.yaml"),
                        "--run-dir", QString::fromStdString(job.string()),
                        "--set",     "trainer.max_steps=100000",
                        "--set",     "trainer.val_interval=100000",
                        "--plain"};
    for (const QString& kv : sets) args << "--set" << kv;
    launcher.start(QStringLiteral(REEF_BINARY), args);
  }

  void aDeadRankEndsTheJobWithItsName() {
    const fs::path job = path("killed");
    QProcess launcher;
    startJob(launcher, job);
    QVERIFY(launcher.waitForStarted());
    QElapsedTimer timer;
    QVERIFY2(signalRank1WhenTraining(job, SIGKILL), "the job did not start training");
    timer.start();
    QVERIFY(launcher.waitForFinished(30000));
    QVERIFY2(timer.elapsed() < 30000, "the job did not end within 30 s");
    QCOMPARE(launcher.exitCode(), 1);
    const QString err = QString::fromUtf8(launcher.readAllStandardError());
    QVERIFY2(err.contains("rank 1") && err.contains("killed by signal 9"), qPrintable(err));
    qInfo("job ended %.1f s after rank 1 was killed", timer.elapsed() / 1000.0);
  }

  // A rank that stops answering without closing its connections (a cut link, a frozen node; here
  // SIGSTOP) gives rank 0 only a timeout; the error still names it, from the heartbeats.
  void aSilentRankIsNamedAfterTheCollectiveTimeout() {
    const fs::path job = path("silent");
    QProcess launcher;
    startJob(launcher, job, {"trainer.collective_timeout=10"});
    QVERIFY(launcher.waitForStarted());
    QElapsedTimer timer;
    QVERIFY2(signalRank1WhenTraining(job, SIGSTOP), "the job did not start training");
    timer.start();
    std::vector<Json> finished;
    while (finished.empty() && timer.elapsed() < 60000) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      finished = eventsOfType(job, "run_finished");
    }
    QVERIFY2(!finished.empty(), "rank 0 did not give up on the silent rank");
    const double seconds = timer.elapsed() / 1000.0;
    ::kill(rank1(job), SIGKILL);  // rather than wait for the launcher to end a stopped process
    QVERIFY(launcher.waitForFinished(30000));
    QCOMPARE(launcher.exitCode(), 1);
    const std::string error = finished.back().value("error", std::string());
    QVERIFY2(error.find("Timed out") != std::string::npos, error.c_str());
    QVERIFY2(error.find("no sign of life from rank 1 on " + engine::thisHost()) != std::string::npos, error.c_str());
    qInfo("rank 0 failed %.1f s after rank 1 stopped: %s", seconds, error.c_str());
  }
};

QTEST_GUILESS_MAIN(TestParallel)
#include "tst_parallel.moc"

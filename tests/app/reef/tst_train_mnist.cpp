// The MNIST example, shortened: it must reach >= 95% test accuracy in under a minute and leave a
// complete run directory whose event stream follows ARCHITECTURE.md.
#include "tests/support/reef_cli.h"

#include <QTemporaryDir>
#include <QtTest>

#include <set>

using namespace reef;
using namespace reef::test;
namespace fs = std::filesystem;

class TestTrainMnist : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void shortRunReaches95PercentInUnderAMinute() {
    QTemporaryDir dir;
    const fs::path run = fs::path(dir.path().toStdString()) / "run";
    auto r =
        runReef({"train", example("vision/mnist_cnn.yaml"), "--run-dir", QString::fromStdString(run.string()), "--set",
                 "trainer.max_steps=300", "--set", "trainer.val_interval=150", "--set", "optim.warmup_steps=30"},
                120000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY2(r.seconds < 60, qPrintable(QString("took %1 s").arg(r.seconds)));

    for (const char* f : {"spec.yaml", "events.jsonl", "logs/rank-0.log", "artifacts/test_confusion_matrix.json",
                          "checkpoints/step-300/model.safetensors", "checkpoints/step-300/trainer_state.safetensors",
                          "checkpoints/step-300/trainer_state.json"})
      QVERIFY2(fs::exists(run / f), f);

    const auto events = eventsOf(run);
    QVERIFY(events.size() > 5);
    std::set<std::string> types;
    for (const auto& e : events) {
      QCOMPARE(e["v"].get<int>(), 1);
      QVERIFY(e["time"].is_number_float());
      types.insert(e["t"].get<std::string>());
    }
    for (const char* t : {"run_started", "metric", "checkpoint", "log", "artifact", "run_finished"})
      QVERIFY2(types.count(t), t);
    QCOMPARE(events.front()["t"].get<std::string>(), std::string("run_started"));
    QCOMPARE(events.back()["t"].get<std::string>(), std::string("run_finished"));
    QCOMPARE(events.back()["status"].get<std::string>(), std::string("completed"));

    double firstLoss = -1, lastLoss = -1;
    bool sawThroughput = false;
    for (const auto& m : eventsOfType(run, "metric")) {
      const auto& v = m["values"];
      if (v.contains("train/loss")) {
        if (firstLoss < 0) firstLoss = v["train/loss"].get<double>();
        lastLoss = v["train/loss"].get<double>();
      }
      sawThroughput = sawThroughput || v.contains("perf/samples_per_s");
    }
    QVERIFY(sawThroughput);
    QVERIFY2(lastLoss < firstLoss / 4, qPrintable(QString("%1 -> %2").arg(firstLoss).arg(lastLoss)));
    const double acc = events.back()["metrics"]["test/acc"].get<double>();
    qInfo("short MNIST run: test accuracy %.4f in %.1f s", acc, r.seconds);
    QVERIFY2(acc >= 0.95, qPrintable(QString("test accuracy %1").arg(acc)));
    QVERIFY(r.out.contains("test/acc"));
  }
};

QTEST_GUILESS_MAIN(TestTrainMnist)
#include "tst_train_mnist.moc"

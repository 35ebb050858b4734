// Trainer behaviours a user relies on, through the real CLI: gradient accumulation equals a
// larger batch, early stopping ends the run, keep-top-k leaves the right checkpoints, bf16
// mixed precision trains.
#include "tests/support/reef_cli.h"

#include "backend/protocol/safetensors.h"

#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

using namespace reef;
using namespace reef::test;
namespace fs = std::filesystem;

namespace {

const QStringList kQuiet = {"--set", "trainer.test_at_end=false", "--set", "trainer.limit_val_batches=2"};

ReefRun train(const fs::path& run, QStringList settings) {
  return runReef(
      QStringList{"train", example("vision/mnist_cnn.yaml"), "--run-dir", QString::fromStdString(run.string())} +
      kQuiet + settings);
}

// Largest absolute difference between the float tensors of two safetensors files.
double maxDifference(const fs::path& a, const fs::path& b) {
  auto fa = protocol::SafetensorsFile::open(a);
  auto fb = protocol::SafetensorsFile::open(b);
  double worst = 0;
  for (const auto& ea : fa.tensors()) {
    const auto* eb = fb.find(ea.name);
    if (!eb || eb->nbytes != ea.nbytes) return INFINITY;
    for (size_t i = 0; i < ea.nbytes / 4; ++i) {
      float x, y;
      std::memcpy(&x, ea.data + 4 * i, 4);
      std::memcpy(&y, eb->data + 4 * i, 4);
      worst = std::max(worst, double(std::fabs(x - y)));
    }
  }
  return worst;
}

}  // namespace

class TestTrainerFeatures : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  fs::path path(const char* name) const { return fs::path(dir_.path().toStdString()) / name; }

 private Q_SLOTS:
  void accumulationEqualsTheLargerBatch() {
    const QStringList common = {"--set", "trainer.max_steps=3", "--set", "model.dropout=0", "--set", "data.workers=0"};
    auto big = train(path("big"), common + QStringList{"--set", "data.batch_size=64"});
    QVERIFY2(big.exitCode == 0, qPrintable(big.err));
    auto accumulated = train(path("accumulated"), common + QStringList{"--set", "data.batch_size=32", "--set",
                                                                       "trainer.accumulate_grad_batches=2"});
    QVERIFY2(accumulated.exitCode == 0, qPrintable(accumulated.err));
    const double diff = maxDifference(path("big") / "checkpoints/step-3/model.safetensors",
                                      path("accumulated") / "checkpoints/step-3/model.safetensors");
    QVERIFY2(diff < 1e-5, qPrintable(QString("weights differ by %1").arg(diff)));
    // And differ from a run that saw only half the data per step.
    auto half = train(path("half"), common + QStringList{"--set", "data.batch_size=32"});
    QVERIFY(maxDifference(path("big") / "checkpoints/step-3/model.safetensors",
                          path("half") / "checkpoints/step-3/model.safetensors") > 1e-4);
  }

  void earlyStoppingEndsTheRun() {
    auto r =
        train(path("early"), {"--set", "trainer.max_steps=100", "--set", "trainer.val_interval=10", "--set",
                              "trainer.early_stopping_patience=2", "--set", "trainer.early_stopping_min_delta=100"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    auto finished = eventsOfType(path("early"), "run_finished");
    QCOMPARE(finished.back()["status"].get<std::string>(), std::string("completed"));
    QCOMPARE(finished.back()["step"].get<int>(), 30);  // best at 10, no improvement at 20 and 30
    bool logged = false;
    for (const auto& l : eventsOfType(path("early"), "log"))
      logged = logged || l["message"].get<std::string>().find("early stopping at step 30") != std::string::npos;
    QVERIFY(logged);
  }

  void keepTopKLeavesTheBestAndTheLatest() {
    auto r =
        train(path("topk"), {"--set", "trainer.max_steps=50", "--set", "trainer.val_interval=10", "--set",
                             "exp.keep_top_k=2", "--set", "exp.monitor=val/loss", "--set", "exp.monitor_mode=min"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    std::vector<std::pair<double, int>> byLoss;
    for (const auto& c : eventsOfType(path("topk"), "checkpoint"))
      byLoss.emplace_back(c["value"].get<double>(), c["step"].get<int>());
    QCOMPARE(byLoss.size(), size_t(5));
    std::sort(byLoss.begin(), byLoss.end());
    std::set<int> expected = {byLoss[0].second, byLoss[1].second, 50};
    std::set<int> onDisk;
    for (const auto& e : fs::directory_iterator(path("topk") / "checkpoints"))
      onDisk.insert(std::stoi(e.path().filename().string().substr(5)));
    QCOMPARE(onDisk, expected);
  }

  void bf16MixedPrecisionTrains() {
    auto r = train(path("bf16"), {"--set", "trainer.max_steps=80", "--set", "trainer.precision=bf16-mixed", "--set",
                                  "trainer.log_interval=10"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    std::vector<double> losses;
    for (const auto& m : eventsOfType(path("bf16"), "metric"))
      if (m["values"].contains("train/loss")) losses.push_back(m["values"]["train/loss"].get<double>());
    QVERIFY(losses.size() >= 4);
    QVERIFY2(losses.back() < 0.5 * losses.front(),
             qPrintable(QString("%1 -> %2").arg(losses.front()).arg(losses.back())));
    // Weights stay fp32: autocast changes the arithmetic, not the stored parameters.
    auto weights = protocol::SafetensorsFile::open(path("bf16") / "checkpoints/step-80/model.safetensors");
    QCOMPARE(weights.find("conv1.weight")->dtype, protocol::DType::F32);
  }
};

QTEST_GUILESS_MAIN(TestTrainerFeatures)
#include "tst_trainer_features.moc"

// Checkpoint folders: atomic save, keep-top-k plus latest, best by monitor, and clear errors for
// corrupt or half-written checkpoints.
#include <torch/torch.h>

#include "backend/engine/trainer/checkpoint.h"

#include <QtTest>

#include <fstream>

using namespace reef::engine;
namespace fs = std::filesystem;

class TestCheckpointStore : public QObject {
  Q_OBJECT

  static TrainerState stateAt(int64_t step, std::optional<double> monitor) {
    TrainerState s;
    s.step = step;
    s.position = {step / 10, step % 10};
    s.optimizerSteps = step;
    s.monitorValue = monitor;
    s.lastValidation = {{"acc", monitor.value_or(0)}};
    return s;
  }

  static NamedTensors weights(float value) { return {{"w", torch::full({2, 2}, value)}}; }

 private Q_SLOTS:
  void savesAndLoadsEverything() {
    QTemporaryDir dir;
    reef::protocol::RunDir run(dir.path().toStdString());
    run.createLayout();
    CheckpointStore store(run);
    store.save(stateAt(12, 0.5), weights(3), {{"rng.cpu", torch::arange(5).to(torch::kUInt8)}});
    LoadedCheckpoint c = store.load(12);
    QCOMPARE(c.state.step, int64_t(12));
    QCOMPARE(c.state.position.batch, int64_t(2));
    QCOMPARE(c.state.monitorValue.value(), 0.5);
    QVERIFY(torch::equal(c.weights.at("w"), torch::full({2, 2}, 3.0f)));
    QCOMPARE(c.trainerTensors.at("rng.cpu").scalar_type(), torch::kUInt8);
    QCOMPARE(store.latest().value(), int64_t(12));
  }

  void keepsTopKByMonitorAndTheLatest() {
    QTemporaryDir dir;
    reef::protocol::RunDir run(dir.path().toStdString());
    run.createLayout();
    CheckpointStore store(run);
    const std::vector<std::pair<int64_t, std::optional<double>>> saves = {
        {10, 0.90}, {20, 0.97}, {30, 0.95}, {40, 0.96}, {50, std::nullopt}};
    for (auto [step, monitor] : saves) store.save(stateAt(step, monitor), weights(0), {});
    QCOMPARE(store.best(/*monitorMax=*/true).value(), int64_t(20));
    QCOMPARE(store.best(/*monitorMax=*/false).value(), int64_t(10));
    const auto removed = store.applyRetention(2, /*monitorMax=*/true);
    QCOMPARE(removed, (std::vector<int64_t>{10, 30}));
    QCOMPARE(run.checkpointSteps(), (std::vector<int64_t>{20, 40, 50}));
    QVERIFY(store.applyRetention(-1, true).empty());
  }

  void halfWrittenCheckpointsAreIgnoredAndRemoved() {
    QTemporaryDir dir;
    reef::protocol::RunDir run(dir.path().toStdString());
    run.createLayout();
    CheckpointStore store(run);
    store.save(stateAt(10, 0.9), weights(1), {});
    fs::create_directories(run.checkpoints() / ".incomplete-step-20");
    std::ofstream(run.checkpoints() / ".incomplete-step-20" / "model.safetensors") << "partial";
    QCOMPARE(store.latest().value(), int64_t(10));
    store.removeIncomplete();
    QVERIFY(!fs::exists(run.checkpoints() / ".incomplete-step-20"));
  }

  void corruptCheckpointNamesFileAndRecovery() {
    QTemporaryDir dir;
    reef::protocol::RunDir run(dir.path().toStdString());
    run.createLayout();
    CheckpointStore store(run);
    store.save(stateAt(10, 0.9), weights(1), {});
    const fs::path model = run.checkpoint(10) / "model.safetensors";
    fs::resize_file(model, fs::file_size(model) - 4);
    try {
      store.load(10);
      QFAIL("expected an error");
    } catch (const std::runtime_error& e) {
      const QString text = QString::fromUtf8(e.what());
      QVERIFY2(text.contains("step-10 is unusable") && text.contains("truncated") && text.contains("delete"),
               qPrintable(text));
    }
    std::ofstream(run.checkpoint(10) / "trainer_state.json") << "{\"format\": \"something else\"}";
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, store.load(10));
  }
};

QTEST_APPLESS_MAIN(TestCheckpointStore)
#include "tst_checkpoint_store.moc"

// The trainer's events from plain values: a logging interval's metrics (throughput, tokens and
// model FLOPs utilisation only where they apply), every field of run_started, and validation
// metrics under their prefix and as one line for people.
#include <torch/torch.h>
#include <torch/version.h>

#include "backend/engine/core/version.h"
#include "backend/engine/trainer/run_events.h"

#include <QtTest>

#include <unistd.h>

#include <algorithm>

using namespace reef;
using namespace reef::engine;

namespace {

QStringList keysOf(const Json& object) {
  QStringList keys;
  for (const auto& [k, v] : object.items()) keys << QString::fromStdString(k);
  keys.sort();
  return keys;
}

QStringList sorted(QStringList list) {
  list.sort();
  return list;
}

QString text(const Json& value) { return QString::fromStdString(value.get<std::string>()); }

std::string thisHost() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

}  // namespace

class TestRunEvents : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void intervalOfAModelWithoutTokens() {
    Interval i;
    i.lossSum = 6.0;
    i.steps = 4;
    i.samples = 128;
    i.seconds = 2.0;
    const Json v = intervalMetrics(i, 0.01, 1.5, 0.5, /*flopsPerToken=*/0, /*peakGflops=*/0, /*world=*/1);
    QCOMPARE(keysOf(v), sorted({"train/loss", "train/lr", "train/grad_norm", "train/epoch", "perf/samples_per_s",
                                "perf/step_ms"}));
    QCOMPARE(v["train/loss"].get<double>(), 1.5);  // lossSum / steps
    QCOMPARE(v["train/lr"].get<double>(), 0.01);
    QCOMPARE(v["train/grad_norm"].get<double>(), 1.5);
    QCOMPARE(v["train/epoch"].get<double>(), 0.5);
    QCOMPARE(v["perf/samples_per_s"].get<double>(), 64.0);
    QCOMPARE(v["perf/step_ms"].get<double>(), 500.0);
  }

  void flopsWithoutTokensGiveNoUtilisation() {
    Interval i;
    i.lossSum = 1.0;
    i.steps = 1;
    i.samples = 8;
    i.seconds = 1.0;
    const Json v = intervalMetrics(i, 0.1, 1.0, 0.0, 6e6, 100, 1);
    QVERIFY(!v.contains("perf/tokens_per_s"));
    QVERIFY(!v.contains("perf/model_gflops"));
    QVERIFY(!v.contains("perf/mfu"));
  }

  void tokensGiveTokenThroughput() {
    Interval i;
    i.lossSum = 3.0;
    i.steps = 2;
    i.samples = 16;
    i.tokens = 4000;
    i.seconds = 2.0;
    const Json v = intervalMetrics(i, 0.1, 1.0, 0.25, /*flopsPerToken=*/0, 0, 1);
    QCOMPARE(v["perf/tokens_per_s"].get<double>(), 2000.0);
    QCOMPARE(v["train/loss"].get<double>(), 1.5);
    QCOMPARE(v["perf/step_ms"].get<double>(), 1000.0);
    QVERIFY(!v.contains("perf/model_gflops"));  // the model does not say its FLOPs
    QVERIFY(!v.contains("perf/mfu"));
  }

  void modelFlopsGiveUtilisationOverEveryDevice() {
    Interval i;
    i.lossSum = 2.0;
    i.steps = 2;
    i.samples = 16;
    i.tokens = 4000;
    i.seconds = 2.0;
    // 2000 tokens/s x 6e6 FLOPs per token = 12 GFLOP/s, against 4 devices of 10 GFLOP/s each.
    const Json v = intervalMetrics(i, 0.1, 1.0, 0.25, /*flopsPerToken=*/6e6, /*peakGflops=*/10, /*world=*/4);
    QCOMPARE(v["perf/tokens_per_s"].get<double>(), 2000.0);
    QCOMPARE(v["perf/model_gflops"].get<double>(), 12.0);
    QCOMPARE(v["perf/mfu"].get<double>(), 0.3);
  }

  void runStartedHasEveryField() {
    RunStart s;
    s.runId = "20261127-031942-5f3a9c";
    s.name = "mnist-cnn";
    s.specHash = "0123456789abcdef";
    s.strategy = "tp+ddp";
    s.backend = "gloo";
    s.device = "cpu";
    s.worldSize = 4;
    s.rank = 0;
    s.tensorParallel = 2;
    s.expertParallel = 1;
    s.threads = 3;
    s.parameters = 1000;
    s.trainableParameters = 900;
    s.totalSteps = 500;
    s.stepsPerEpoch = 50;
    s.peakMatmulGflops = 123.5;
    const Json e = runStartedEvent(s);
    QCOMPARE(keysOf(e), sorted({"run_id",
                                "name",
                                "spec_hash",
                                "host",
                                "pid",
                                "world_size",
                                "rank",
                                "strategy",
                                "tensor_parallel",
                                "expert_parallel",
                                "backend",
                                "devices",
                                "threads",
                                "engine_version",
                                "torch_version",
                                "parameters",
                                "trainable_parameters",
                                "init_from",
                                "total_steps",
                                "steps_per_epoch",
                                "peak_matmul_gflops",
                                "resumed_from_step"}));
    QCOMPARE(text(e["run_id"]), QString::fromStdString(s.runId));
    QCOMPARE(text(e["name"]), QString::fromStdString(s.name));
    QCOMPARE(text(e["spec_hash"]), QString::fromStdString(s.specHash));
    QCOMPARE(text(e["host"]), QString::fromStdString(thisHost()));
    QVERIFY(!e["host"].get<std::string>().empty());
    QCOMPARE(e["pid"].get<int64_t>(), static_cast<int64_t>(::getpid()));
    QCOMPARE(e["world_size"].get<int>(), 4);
    QCOMPARE(e["rank"].get<int>(), 0);
    QCOMPARE(text(e["strategy"]), QString("tp+ddp"));
    QCOMPARE(e["tensor_parallel"].get<int>(), 2);
    QCOMPARE(e["expert_parallel"].get<int>(), 1);
    QCOMPARE(text(e["backend"]), QString("gloo"));
    QVERIFY(e["devices"] == Json::array({"cpu"}));
    QCOMPARE(e["threads"].get<int>(), 3);
    QCOMPARE(text(e["engine_version"]), QString(REEF_VERSION));
    QCOMPARE(text(e["torch_version"]), QString(TORCH_VERSION));
    QVERIFY(!e["torch_version"].get<std::string>().empty());
    QCOMPARE(e["parameters"].get<int64_t>(), int64_t(1000));
    QCOMPARE(e["trainable_parameters"].get<int64_t>(), int64_t(900));
    QCOMPARE(e["total_steps"].get<int64_t>(), int64_t(500));
    QCOMPARE(e["steps_per_epoch"].get<int64_t>(), int64_t(50));
    QCOMPARE(e["peak_matmul_gflops"].get<double>(), 123.5);
    QVERIFY(e["init_from"].is_null());  // empty: none
    QVERIFY(e["resumed_from_step"].is_null());
  }

  void runStartedOfAResumedFineTune() {
    RunStart s;
    s.initFrom = "runs/20261127-031942-5f3a9c";
    s.resumedFrom = 120;
    const Json e = runStartedEvent(s);
    QCOMPARE(text(e["init_from"]), QString::fromStdString(s.initFrom));
    QCOMPARE(e["resumed_from_step"].get<int64_t>(), int64_t(120));
  }

  void resumedFromStepZeroIsAStep() {
    RunStart s;
    s.resumedFrom = 0;
    const Json e = runStartedEvent(s);
    QVERIFY(e["resumed_from_step"].is_number_integer());
    QCOMPARE(e["resumed_from_step"].get<int64_t>(), int64_t(0));
  }

  void prefixedNamesEveryMetric() {
    const Json v = prefixed({{"acc", 0.5}, {"loss", 1.25}}, "val/");
    QCOMPARE(keysOf(v), QStringList({"val/acc", "val/loss"}));
    QCOMPARE(v["val/acc"].get<double>(), 0.5);
    QCOMPARE(v["val/loss"].get<double>(), 1.25);
    const Json none = prefixed({}, "test/");
    QVERIFY(none.is_object());  // an empty object, so that more values can be added to it
    QVERIFY(none.empty());
  }

  void summaryIsOneLine() {
    QCOMPARE(QString::fromStdString(summary({{"acc", 0.912345}, {"loss", 1.5}}, "val/")),
             QString("val/acc 0.9123  val/loss 1.5"));
    QCOMPARE(QString::fromStdString(summary({{"wer", 0.25}}, "test/")), QString("test/wer 0.25"));
    QCOMPARE(QString::fromStdString(summary({}, "val/")), QString());
  }
};

QTEST_GUILESS_MAIN(TestRunEvents)
#include "tst_run_events.moc"

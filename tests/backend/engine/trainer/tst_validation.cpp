// Validation during training: exp.monitor's value (a spec error listing what is reported when it
// is not), what counts as an improvement in either direction with early_stopping_min_delta, and
// when patience runs out, also across a resume through the checkpoint's trainer state.
#include <torch/torch.h>

#include "backend/engine/trainer/validation.h"
#include "backend/protocol/spec.h"

#include <QtTest>

using namespace reef;
using namespace reef::engine;

class TestValidation : public QObject {
  Q_OBJECT

  static Json reported() { return {{"val/loss", 0.25}, {"val/acc", 0.875}, {"perf/val_seconds", 0.5}}; }

 private Q_SLOTS:
  void monitoredValueIsTheReportedOne() {
    QCOMPARE(monitoredValue(reported(), "val/acc"), 0.875);
    QCOMPARE(monitoredValue(reported(), "val/loss"), 0.25);
    QCOMPARE(monitoredValue(reported(), "perf/val_seconds"), 0.5);
  }

  void unknownMonitorIsASpecErrorListingTheMetrics() {
    try {
      monitoredValue(reported(), "val/f1");
      QFAIL("expected a SpecError");
    } catch (const protocol::SpecError& e) {
      QCOMPARE(int(e.issues().size()), 1);
      QCOMPARE(QString::fromStdString(e.issues()[0].key), QString("exp.monitor"));
      const QString message = QString::fromStdString(e.issues()[0].message);
      QVERIFY2(message.contains("'val/f1'"), qPrintable(message));
      for (const char* metric : {"val/loss", "val/acc", "perf/val_seconds"})
        QVERIFY2(message.contains(metric), qPrintable(message));
      QVERIFY2(QString::fromUtf8(e.what()).contains("exp.monitor"), e.what());
    }
  }

  void minimizeNeedsToBeatMinDelta() {
    TrainerState s;
    QVERIFY(recordValidation(s, 1.0, /*maximize=*/false, 0.25));  // the first always counts
    QCOMPARE(s.bestMonitor.value(), 1.0);
    QCOMPARE(s.validationsWithoutImprovement, int64_t(0));

    QVERIFY(!recordValidation(s, 0.875, false, 0.25));  // better, but by less than min_delta
    QCOMPARE(s.bestMonitor.value(), 1.0);
    QCOMPARE(s.validationsWithoutImprovement, int64_t(1));

    QVERIFY(!recordValidation(s, 2.0, false, 0.25));  // worse
    QCOMPARE(s.validationsWithoutImprovement, int64_t(2));

    QVERIFY(recordValidation(s, 0.5, false, 0.25));  // better by more than min_delta
    QCOMPARE(s.bestMonitor.value(), 0.5);
    QCOMPARE(s.validationsWithoutImprovement, int64_t(0));

    QVERIFY(!recordValidation(s, 0.5, false, 0));  // equal is no improvement
    QVERIFY(recordValidation(s, 0.4375, false, 0));
    QCOMPARE(s.bestMonitor.value(), 0.4375);
  }

  void maximizeNeedsToBeatMinDelta() {
    TrainerState s;
    QVERIFY(recordValidation(s, 0.5, /*maximize=*/true, 0.25));
    QVERIFY(!recordValidation(s, 0.625, true, 0.25));  // higher, but by less than min_delta
    QCOMPARE(s.bestMonitor.value(), 0.5);
    QCOMPARE(s.validationsWithoutImprovement, int64_t(1));
    QVERIFY(!recordValidation(s, 0.25, true, 0.25));  // lower: worse when maximizing
    QCOMPARE(s.validationsWithoutImprovement, int64_t(2));
    QVERIFY(recordValidation(s, 0.875, true, 0.25));
    QCOMPARE(s.bestMonitor.value(), 0.875);
    QCOMPARE(s.validationsWithoutImprovement, int64_t(0));
  }

  void patienceZeroNeverStops() {
    TrainerState s;
    recordValidation(s, 1.0, false, 0);
    for (int i = 0; i < 50; ++i) recordValidation(s, 2.0, false, 0);
    QCOMPARE(s.validationsWithoutImprovement, int64_t(50));
    QVERIFY(!patienceExhausted(s, 0));
  }

  void patienceTwoStopsAfterTwoValidationsWithoutImprovement() {
    TrainerState s;
    recordValidation(s, 1.0, false, 0);
    QVERIFY(!patienceExhausted(s, 2));
    recordValidation(s, 1.5, false, 0);
    QVERIFY(!patienceExhausted(s, 2));
    recordValidation(s, 0.5, false, 0);  // an improvement starts the count again
    QVERIFY(!patienceExhausted(s, 2));
    recordValidation(s, 0.75, false, 0);
    QVERIFY(!patienceExhausted(s, 2));
    recordValidation(s, 0.5, false, 0);
    QVERIFY(patienceExhausted(s, 2));
  }

  void patienceContinuesAcrossAResume() {
    // The counts travel in trainer_state.json: a run resumed after one validation without
    // improvement stops after the next one, as the uninterrupted run would.
    TrainerState s;
    recordValidation(s, 1.0, false, 0);
    recordValidation(s, 1.25, false, 0);
    TrainerState resumed = TrainerState::fromJson(s.toJson(), "trainer_state.json");
    QCOMPARE(resumed.bestMonitor.value(), 1.0);
    QCOMPARE(resumed.validationsWithoutImprovement, int64_t(1));
    QVERIFY(!patienceExhausted(resumed, 2));
    QVERIFY(!recordValidation(resumed, 1.0, false, 0));
    QVERIFY(patienceExhausted(resumed, 2));
  }
};

QTEST_GUILESS_MAIN(TestValidation)
#include "tst_validation.moc"

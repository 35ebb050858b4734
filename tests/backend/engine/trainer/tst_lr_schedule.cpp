#include <torch/torch.h>

#include "backend/engine/trainer/lr_schedule.h"

#include <QtTest>

using namespace reef::engine;

namespace {
OptimSettings withSchedule(const std::string& schedule, int64_t warmup, double minRatio = 0.1) {
  OptimSettings s;
  s.lr = 1.0;
  s.schedule = schedule;
  s.warmupSteps = warmup;
  s.minLrRatio = minRatio;
  return s;
}
}  // namespace

class TestLrSchedule : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void warmupRisesLinearly() {
    LrSchedule s(withSchedule("constant", 4), 100);
    QCOMPARE(s.at(0), 0.25);
    QCOMPARE(s.at(3), 1.0);
    QCOMPARE(s.at(50), 1.0);
  }
  void cosineDecaysToTheFloor() {
    LrSchedule s(withSchedule("cosine", 10), 110);
    QCOMPARE(s.at(10), 1.0);
    QVERIFY(std::abs(s.at(60) - 0.55) < 1e-12);  // half way: (1 + 0.1) / 2
    QVERIFY(std::abs(s.at(110) - 0.1) < 1e-12);
    QVERIFY(std::abs(s.at(500) - 0.1) < 1e-12);
  }
  void linearDecays() {
    LrSchedule s(withSchedule("linear", 0, 0.0), 100);
    QCOMPARE(s.at(0), 1.0);
    QCOMPARE(s.at(25), 0.75);
    QCOMPARE(s.at(100), 0.0);
  }
  void unknownScheduleIsRefused() {
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, LrSchedule(withSchedule("step", 0), 10));
  }
};

QTEST_APPLESS_MAIN(TestLrSchedule)
#include "tst_lr_schedule.moc"

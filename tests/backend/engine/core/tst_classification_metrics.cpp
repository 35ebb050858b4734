#include <torch/torch.h>

#include "backend/engine/core/classification_metrics.h"

#include <QtTest>

using namespace reef::engine;

class TestClassificationMetrics : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void handComputedCase() {
    // truth -> predicted: a a a b | b b c | c
    ConfusionMatrix m({"a", "b", "c"});
    for (auto [t, p] : std::vector<std::pair<int, int>>{{0, 0}, {0, 0}, {0, 0}, {0, 1}, {1, 1}, {1, 1}, {1, 2}, {2, 2}})
      m.add(t, p);
    QCOMPARE(m.total(), int64_t(8));
    QCOMPARE(m.accuracy(), 6.0 / 8.0);
    QCOMPARE(m.precision(1), 2.0 / 3.0);
    QCOMPARE(m.recall(0), 3.0 / 4.0);
    QCOMPARE(m.recall(2), 1.0);
    QCOMPARE(m.precision(2), 0.5);
    const double f1b = 2 * (2.0 / 3) * (2.0 / 3) / (4.0 / 3);
    QVERIFY(std::abs(m.f1(1) - f1b) < 1e-12);
    QCOMPARE(m.toJson()["matrix"][0][1].get<int>(), 1);
    QCOMPARE(m.toJson()["per_class"][2]["support"].get<int>(), 1);
    QVERIFY(m.toCsv().rfind("truth\\predicted,\"a\",\"b\",\"c\"\n\"a\",3,1,0\n", 0) == 0);
  }
  void classesNeverPredictedScoreZero() {
    ConfusionMatrix m({"x", "y"});
    m.add(0, 0);
    m.add(1, 0);
    QCOMPARE(m.precision(1), 0.0);
    QCOMPARE(m.recall(1), 0.0);
    QCOMPARE(m.f1(1), 0.0);
    QVERIFY_THROWS_EXCEPTION(std::out_of_range, m.add(2, 0));
  }
};

QTEST_APPLESS_MAIN(TestClassificationMetrics)
#include "tst_classification_metrics.moc"

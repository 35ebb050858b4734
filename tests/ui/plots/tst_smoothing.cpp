// The debiased EMA of the curve plot against values worked out by hand.
#include "ui/plots/smoothing.h"

#include <QtTest>

#include <cmath>

using namespace reef::ui;

class TestSmoothing : public QObject {
  Q_OBJECT
 private slots:
  void matchesHandComputedValues() {
    // weight 0.5 over 1, 3, 5:
    //   last: 0.5, 1.75, 3.375   debias: 0.5, 0.75, 0.875   smoothed: 1, 2.3333, 3.857142...
    const auto s = smoothEma({1, 3, 5}, 0.5);
    QCOMPARE(s[0], 1.0);
    QVERIFY(std::abs(s[1] - 7.0 / 3.0) < 1e-12);
    QVERIFY(std::abs(s[2] - 27.0 / 7.0) < 1e-12);
  }
  void zeroWeightIsTheRawSeries() {
    const std::vector<double> raw = {4, -2, 9.5};
    QCOMPARE(smoothEma(raw, 0.0), raw);
  }
  void firstValueIsNotPulledTowardsZero() {
    // Without debiasing, weight 0.9 would start at 0.1 * 100 = 10.
    for (double v : smoothEma({100, 100, 100}, 0.9)) QVERIFY(std::abs(v - 100) < 1e-9);
  }
  void nonFiniteValuesPassAsNanAndDoNotDisturb() {
    const auto s = smoothEma({1, NAN, 3, INFINITY, 5}, 0.5);
    QVERIFY(std::isnan(s[1]) && std::isnan(s[3]));
    QCOMPARE(s[0], 1.0);
    QVERIFY(std::abs(s[2] - 7.0 / 3.0) < 1e-12);
    QVERIFY(std::abs(s[4] - 27.0 / 7.0) < 1e-12);
  }
};

QTEST_APPLESS_MAIN(TestSmoothing)
#include "tst_smoothing.moc"

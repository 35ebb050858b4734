// Reef's dropout: the kept fraction and scale are right, the gradient goes through the same mask,
// the mask does not depend on the thread count, and the default generator's state reproduces it.
#include <torch/torch.h>

#include "backend/engine/core/dropout.h"

#include <QtTest>

using namespace reef::engine;

class TestDropout : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void keepsTheRightFractionScaled() {
    torch::manual_seed(1);
    auto x = torch::ones({1000, 1000});
    auto y = reef::engine::dropout(x, 0.25, true);
    const double kept = (y != 0).to(torch::kFloat64).mean().item<double>();
    QVERIFY2(std::abs(kept - 0.75) < 0.003, qPrintable(QString::number(kept)));
    QVERIFY(torch::allclose(y.masked_select(y != 0), torch::full({1}, 1.0f / 0.75f)));
    QVERIFY(torch::equal(reef::engine::dropout(x, 0.25, false), x));
  }

  void gradientUsesTheForwardMask() {
    torch::manual_seed(2);
    auto x = torch::randn({64, 300}).set_requires_grad(true);
    auto y = reef::engine::dropout(x, 0.5, true);
    y.sum().backward();
    QVERIFY(torch::equal(x.grad() != 0, y != 0));
    QVERIFY(torch::allclose(x.grad().masked_select(y != 0), torch::full({1}, 2.0f)));
  }

  void sameMaskForAnyThreadCountAndSeed() {
    auto x = torch::ones({300000});
    torch::set_num_threads(1);
    torch::manual_seed(3);
    auto a = reef::engine::dropout(x, 0.3, true);
    torch::set_num_threads(2);
    torch::manual_seed(3);
    auto b = reef::engine::dropout(x, 0.3, true);
    auto c = reef::engine::dropout(x, 0.3, true);
    QVERIFY(torch::equal(a, b));
    QVERIFY(!torch::equal(b, c));  // each call draws a new seed
  }
};

QTEST_APPLESS_MAIN(TestDropout)
#include "tst_dropout.moc"

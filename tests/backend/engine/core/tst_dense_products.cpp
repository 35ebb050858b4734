// The engine's products (oneDNN's GEMM in fp32 on the CPU) against the same products computed in
// float64 by LibTorch: outputs and the gradients of input, weight and bias, for the shapes the
// LLM uses (3-D activations, one-token generation, non-contiguous inputs), attention's batched
// products, a frozen weight, accumulated gradients, autocast, and the GEMM's transpose cases.
#include <torch/torch.h>

#include "backend/engine/core/dense_products.h"
#include "backend/engine/core/torch_compat.h"

#include <QtTest>

using namespace reef::engine;

namespace {

// max |a - b| / max |b|: the error relative to the reference's scale.
double relativeError(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b).abs().max().item<double>() / b.abs().max().item<double>();
}

}  // namespace

class TestDenseProducts : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() {
    torch::set_num_threads(2);
    qInfo("oneDNN GEMM in this build: %s", denseProductsUseOneDnn() ? "yes" : "no (torch::linear)");
  }

  void matchesFloat64Reference_data() {
    QTest::addColumn<QList<qint64>>("inputShape");
    QTest::addColumn<qint64>("outFeatures");
    QTest::addColumn<bool>("withBias");
    QTest::addColumn<bool>("transposedInput");
    QTest::newRow("llm activations") << QList<qint64>{4, 33, 96} << qint64(160) << false << false;
    QTest::newRow("one token") << QList<qint64>{1, 1, 256} << qint64(704) << false << false;
    QTest::newRow("matrix with bias") << QList<qint64>{70, 13} << qint64(5) << true << false;
    QTest::newRow("transposed view") << QList<qint64>{24, 40} << qint64(31) << true << true;
    QTest::newRow("vector") << QList<qint64>{64} << qint64(9) << false << false;
  }

  void matchesFloat64Reference() {
    QFETCH(QList<qint64>, inputShape);
    QFETCH(qint64, outFeatures);
    QFETCH(bool, withBias);
    QFETCH(bool, transposedInput);
    torch::manual_seed(7);
    std::vector<int64_t> shape(inputShape.begin(), inputShape.end());
    if (transposedInput) std::swap(shape[0], shape[1]);
    torch::Tensor x = torch::randn(shape);
    if (transposedInput) x = x.t();
    x.set_requires_grad(true);
    const int64_t in = x.size(-1);
    const torch::Tensor w = torch::randn({outFeatures, in}).div(std::sqrt(in)).set_requires_grad(true);
    const torch::Tensor b = withBias ? torch::randn({outFeatures}).set_requires_grad(true) : torch::Tensor();
    const torch::Tensor y = denseLinear(x, w, b);
    QCOMPARE(y.scalar_type(), torch::kFloat32);
    const torch::Tensor upstream = torch::randn(y.sizes());
    y.backward(upstream);

    const torch::Tensor x64 = x.detach().to(torch::kFloat64).set_requires_grad(true);
    const torch::Tensor w64 = w.detach().to(torch::kFloat64).set_requires_grad(true);
    const torch::Tensor b64 = withBias ? b.detach().to(torch::kFloat64).set_requires_grad(true) : torch::Tensor();
    const torch::Tensor ref = torch::nn::functional::linear(x64, w64, b64);
    ref.backward(upstream.to(torch::kFloat64));

    QCOMPARE(y.sizes().vec(), ref.sizes().vec());
    QVERIFY2(relativeError(y, ref) < 1e-5, qPrintable(QString::number(relativeError(y, ref))));
    QVERIFY2(relativeError(x.grad(), x64.grad()) < 1e-5,
             qPrintable(QString::number(relativeError(x.grad(), x64.grad()))));
    QVERIFY2(relativeError(w.grad(), w64.grad()) < 1e-5,
             qPrintable(QString::number(relativeError(w.grad(), w64.grad()))));
    if (withBias) QVERIFY(relativeError(b.grad(), b64.grad()) < 1e-5);
  }

  void batchedProductsMatchFloat64Reference() {
    for (const bool transposeB : {false, true}) {
      torch::manual_seed(12);
      const torch::Tensor a = torch::randn({3, 4, 19, 8}).set_requires_grad(true);
      const torch::Tensor b =
          (transposeB ? torch::randn({3, 4, 23, 8}) : torch::randn({3, 4, 8, 23})).set_requires_grad(true);
      const torch::Tensor c = denseMatmul(a, b, transposeB);
      const torch::Tensor upstream = torch::randn({3, 4, 19, 23});
      c.backward(upstream);
      const torch::Tensor a64 = a.detach().to(torch::kFloat64).set_requires_grad(true);
      const torch::Tensor b64 = b.detach().to(torch::kFloat64).set_requires_grad(true);
      const torch::Tensor ref = torch::matmul(a64, transposeB ? b64.transpose(-2, -1) : b64);
      ref.backward(upstream.to(torch::kFloat64));
      const QString which = transposeB ? "a b^T" : "a b";
      QCOMPARE(c.sizes().vec(), ref.sizes().vec());
      QVERIFY2(relativeError(c, ref) < 1e-5, qPrintable(which));
      QVERIFY2(relativeError(a.grad(), a64.grad()) < 1e-5, qPrintable(which + " da"));
      QVERIFY2(relativeError(b.grad(), b64.grad()) < 1e-5, qPrintable(which + " db"));
    }
    // Attention's operands are transposed views: they are made contiguous, not misread.
    const torch::Tensor q = torch::randn({2, 5, 3, 4}).transpose(1, 2);
    QVERIFY(torch::allclose(denseMatmul(q, q, true), torch::matmul(q, q.transpose(-2, -1)), 1e-5, 1e-5));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, denseMatmul(torch::randn({2, 3, 4}), torch::randn({3, 4, 5})));
  }

  void frozenWeightGetsNoGradient() {
    torch::manual_seed(8);
    const torch::Tensor x = torch::randn({16, 32}).set_requires_grad(true);
    const torch::Tensor w = torch::randn({8, 32});
    denseLinear(x, w).sum().backward();
    QVERIFY(!w.grad().defined());
    QVERIFY(torch::allclose(x.grad(), w.sum(0).expand({16, 32}), 1e-5, 1e-5));
  }

  void gradientsAccumulateOverBackwardPasses() {
    torch::manual_seed(9);
    const torch::Tensor x = torch::randn({10, 12});
    const torch::Tensor w = torch::randn({6, 12}).set_requires_grad(true);
    denseLinear(x, w).sum().backward();
    const torch::Tensor once = w.grad().clone();
    denseLinear(x, w).sum().backward();
    QVERIFY(torch::allclose(w.grad(), 2 * once, 1e-5, 1e-5));
  }

  void autocastKeepsTorchSemantics() {
    torch::manual_seed(10);
    const torch::Tensor x = torch::randn({8, 64}), w = torch::randn({16, 64});
    compat::setAutocast(torch::kCPU, true, torch::kBFloat16);
    const torch::Tensor y = denseLinear(x, w);
    compat::setAutocast(torch::kCPU, false, torch::kBFloat16);
    QCOMPARE(y.scalar_type(), torch::kBFloat16);
    QVERIFY(relativeError(y, torch::nn::functional::linear(x.to(torch::kFloat64), w.to(torch::kFloat64))) < 2e-2);
  }

  void gemmTransposeCases() {
    torch::manual_seed(11);
    const torch::Tensor a = torch::randn({37, 53}), b = torch::randn({53, 29});
    const torch::Tensor ref = torch::mm(a.to(torch::kFloat64), b.to(torch::kFloat64));
    for (const bool ta : {false, true})
      for (const bool tb : {false, true}) {
        torch::Tensor out = torch::empty({37, 29});
        denseGemm(ta, tb, ta ? a.t().contiguous() : a, tb ? b.t().contiguous() : b, out);
        QVERIFY2(relativeError(out, ref) < 1e-5, qPrintable(QString("transposeA %1 transposeB %2").arg(ta).arg(tb)));
      }
    torch::Tensor wrong = torch::empty({37, 30});
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, denseGemm(false, false, a, b, wrong));
  }
};

QTEST_GUILESS_MAIN(TestDenseProducts)
#include "tst_dense_products.moc"

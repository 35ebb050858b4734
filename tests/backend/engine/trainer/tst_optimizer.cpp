// Reef's optimizers against LibTorch's own torch::optim on identical parameters and gradients:
// the updates must agree exactly. Also: state save/load continues bit-exactly, clipping.
#include <torch/torch.h>

#include "backend/engine/trainer/optimizer.h"

#include <QtTest>

using namespace reef::engine;

namespace {

struct Pair {
  std::vector<torch::Tensor> ours, theirs;
};

// Two copies of the same 2-D parameters (weight decay applies to both implementations alike).
Pair makeParams() {
  torch::manual_seed(0);
  Pair p;
  for (auto shape : {std::vector<int64_t>{4, 3}, std::vector<int64_t>{5, 2}}) {
    auto t = torch::randn(shape);
    p.ours.push_back(t.clone().set_requires_grad(true));
    p.theirs.push_back(t.clone().set_requires_grad(true));
  }
  return p;
}

void setGrads(Pair& p, int step) {
  torch::manual_seed(100 + step);
  for (size_t i = 0; i < p.ours.size(); ++i) {
    auto g = torch::randn(p.ours[i].sizes());
    p.ours[i].mutable_grad() = g.clone();
    p.theirs[i].mutable_grad() = g.clone();
  }
}

NamedTensors named(const std::vector<torch::Tensor>& params) {
  NamedTensors out;
  for (size_t i = 0; i < params.size(); ++i) out.emplace_back("p" + std::to_string(i), params[i]);
  return out;
}

OptimSettings settings(const std::string& name) {
  OptimSettings s;
  s.name = name;
  s.lr = 0.01;
  s.weightDecay = 0.1;
  s.momentum = 0.9;
  s.beta1 = 0.9;
  s.beta2 = 0.99;
  s.eps = 1e-8;
  return s;
}

}  // namespace

class TestOptimizer : public QObject {
  Q_OBJECT

  template <typename TorchOptimizer, typename Options>
  void compare(const std::string& name, Options options) {
    Pair p = makeParams();
    Optimizer ours(named(p.ours), settings(name));
    TorchOptimizer theirs(p.theirs, options);
    for (int step = 0; step < 6; ++step) {
      setGrads(p, step);
      ours.step(0.01);
      theirs.step();
    }
    for (size_t i = 0; i < p.ours.size(); ++i)
      QVERIFY2(torch::allclose(p.ours[i], p.theirs[i], 1e-6, 1e-7), name.c_str());
  }

 private Q_SLOTS:
  void sgdMatchesTorch() {
    compare<torch::optim::SGD>("sgd", torch::optim::SGDOptions(0.01).momentum(0.9).weight_decay(0.1));
  }
  void adamMatchesTorch() {
    compare<torch::optim::Adam>("adam", torch::optim::AdamOptions(0.01).betas({0.9, 0.99}).eps(1e-8).weight_decay(0.1));
  }
  void adamwMatchesTorch() {
    compare<torch::optim::AdamW>("adamw",
                                 torch::optim::AdamWOptions(0.01).betas({0.9, 0.99}).eps(1e-8).weight_decay(0.1));
  }

  void biasesAreNotDecayed() {
    auto bias = torch::ones({3}).set_requires_grad(true);
    Optimizer opt({{"b", bias}}, settings("adamw"));
    bias.mutable_grad() = torch::zeros({3});
    opt.step(0.5);
    QVERIFY(torch::equal(bias, torch::ones({3})));
  }

  void savedStateContinuesBitExactly() {
    Pair a = makeParams();
    Pair b = makeParams();
    Optimizer straight(named(a.ours), settings("adamw"));
    Optimizer first(named(b.ours), settings("adamw"));
    for (int step = 0; step < 3; ++step) {
      setGrads(a, step);
      setGrads(b, step);
      straight.step(0.01);
      first.step(0.01);
    }
    std::map<std::string, torch::Tensor> saved;
    for (auto& [k, v] : first.state()) saved[k] = v.clone();
    QCOMPARE(saved.size(), size_t(4));  // exp_avg and exp_avg_sq of two parameters
    Optimizer resumed(named(b.ours), settings("adamw"));
    resumed.loadState(saved, first.steps(), "test");
    for (int step = 3; step < 6; ++step) {
      setGrads(a, step);
      setGrads(b, step);
      straight.step(0.01);
      resumed.step(0.01);
    }
    for (size_t i = 0; i < a.ours.size(); ++i) QVERIFY(torch::equal(a.ours[i], b.ours[i]));
  }

  void loadingStateOfAnotherOptimizerFails() {
    Pair p = makeParams();
    Optimizer adam(named(p.ours), settings("adam"));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, adam.loadState({}, 5, "ckpt"));
  }

  void clippingBoundsTheGlobalNorm() {
    Pair p = makeParams();
    Optimizer opt(named(p.ours), settings("sgd"));
    setGrads(p, 0);
    const double before = opt.gradNorm();
    QVERIFY(before > 1.0);
    QCOMPARE(opt.clipGradNorm(1.0), before);
    QVERIFY(std::abs(opt.gradNorm() - 1.0) < 1e-5);
    opt.zeroGrad();
    QVERIFY(!p.ours[0].grad().defined());
  }
};

QTEST_APPLESS_MAIN(TestOptimizer)
#include "tst_optimizer.moc"

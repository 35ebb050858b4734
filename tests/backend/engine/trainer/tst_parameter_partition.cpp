// What one rank holds of the model: without a split everything is replicated and updated; a
// tensor split across a group counts once per rank of it in the model's size; under expert
// parallelism the split tensors are experts, averaged apart and never broadcast from rank 0.
#include <torch/torch.h>

#include "backend/engine/trainer/parameter_partition.h"

#include <QtTest>

using namespace reef::engine;

namespace {

// Linear(4, 3) -> BatchNorm1d(3) -> Linear(3, 2), the last bias frozen: 12 + 3 + 3 + 3 + 6 + 2 = 29
// parameters, 27 of them trainable, and three buffers (the norm's running statistics).
torch::nn::Sequential makeNet() {
  torch::manual_seed(0);
  torch::nn::Sequential net(torch::nn::Linear(4, 3), torch::nn::BatchNorm1d(3), torch::nn::Linear(3, 2));
  net->named_parameters()["2.bias"].set_requires_grad(false);
  return net;
}

QStringList namesOf(const NamedTensors& tensors) {
  QStringList names;
  for (const auto& [name, t] : tensors) names << QString::fromStdString(name);
  return names;
}

const QStringList kParameters = {"0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias"};
const QStringList kBuffers = {"1.running_mean", "1.running_var", "1.num_batches_tracked"};

}  // namespace

class TestParameterPartition : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void withoutSplitEverythingIsReplicated() {
    torch::nn::Sequential net = makeNet();
    const ParameterPartition p(*net, {}, {}, 1, false);
    QCOMPARE(namesOf(p.parameters()), kParameters);
    QCOMPARE(namesOf(p.replicated()), kParameters);
    QVERIFY(p.experts().empty());
    // The optimizer updates the module's own tensors, not copies.
    const auto own = net->named_parameters();
    for (const auto& [name, t] : p.parameters()) QVERIFY2(t.is_same(own[name]), name.c_str());
    QCOMPARE(namesOf(p.replicatedState()), kParameters + kBuffers);
    QCOMPARE(p.parameterCount(), int64_t(29));
    QCOMPARE(p.trainableCount(), int64_t(27));
    QVERIFY(!p.isSplit("0.weight"));
    QVERIFY(!p.inUnit("0.weight"));
    QVERIFY(p.unitOfShard("0.flat") == nullptr);
    QCOMPARE(p.splitSize(), 1);
  }

  void splitTensorCountsOncePerRank() {
    torch::nn::Sequential net = makeNet();
    // Tensor parallelism over two ranks: this rank's "0.weight" is half of the model's.
    const ParameterPartition p(*net, {}, TensorParallelLayout{{"0.weight", 0}}, 2, false);
    QVERIFY(p.isSplit("0.weight"));
    QVERIFY(p.isSplit("0.weight.exp_avg"));  // optimizer state follows its parameter
    QVERIFY(!p.isSplit("0.bias"));
    QVERIFY(!p.isSplit("2.weight"));
    QCOMPARE(p.parameterCount(), int64_t(29 + 12));
    QCOMPARE(p.trainableCount(), int64_t(27 + 12));
    // Tensor-parallel shards are averaged with the data-parallel replicas like everything else.
    QCOMPARE(namesOf(p.parameters()), kParameters);
    QCOMPARE(namesOf(p.replicated()), kParameters);
    QVERIFY(p.experts().empty());
    QCOMPARE(namesOf(p.replicatedState()), kParameters + kBuffers);
  }

  void frozenSplitTensorIsNotTrainable() {
    torch::nn::Sequential net = makeNet();
    const ParameterPartition p(*net, {}, TensorParallelLayout{{"2.bias", 0}}, 2, false);
    QCOMPARE(p.parameterCount(), int64_t(29 + 2));
    QCOMPARE(p.trainableCount(), int64_t(27));
  }

  void expertsAreAveragedApartAndNotBroadcast() {
    torch::nn::Sequential net = makeNet();
    const ParameterPartition p(*net, {}, TensorParallelLayout{{"0.weight", 0}}, 2, true);
    QCOMPARE(namesOf(p.experts()), QStringList{"0.weight"});
    QCOMPARE(namesOf(p.replicated()), (QStringList{"0.bias", "1.weight", "1.bias", "2.weight", "2.bias"}));
    // The optimizer still updates all of them: the replicated ones, then the experts.
    QCOMPARE(namesOf(p.parameters()), (QStringList{"0.bias", "1.weight", "1.bias", "2.weight", "2.bias", "0.weight"}));
    const QStringList state = namesOf(p.replicatedState());
    QVERIFY(!state.contains("0.weight"));
    QCOMPARE(state, (QStringList{"0.bias", "1.weight", "1.bias", "2.weight", "2.bias"} + kBuffers));
    QCOMPARE(p.parameterCount(), int64_t(29 + 12));
    QCOMPARE(p.trainableCount(), int64_t(27 + 12));
  }
};

QTEST_GUILESS_MAIN(TestParameterPartition)
#include "tst_parameter_partition.moc"

// Tensor parallelism, expert parallelism and 2-D tensor x data parallelism against one process:
// five SGD steps over the same global batch give the same losses and (gathered) parameters within
// 1e-5 relative, with 2 and 4 Gloo processes. The test starts copies of itself as the ranks.
#include <torch/torch.h>

#include "backend/engine/parallel/fully_sharded.h"
#include "backend/engine/parallel/mixture_of_experts.h"
#include "backend/engine/parallel/process_group.h"
#include "backend/engine/parallel/tensor_parallel.h"
#include "backend/protocol/json.h"

#include <QCoreApplication>
#include <QProcess>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>

using namespace reef;
using namespace reef::engine;

namespace {

constexpr int kSteps = 5;
constexpr double kLr = 0.1;

struct TpModel : torch::nn::Module {
  VocabParallelEmbedding embed{nullptr};
  ColumnParallelLinear up{nullptr}, head{nullptr};
  RowParallelLinear down{nullptr};
  std::shared_ptr<ProcessGroup> tp;
  explicit TpModel(std::shared_ptr<ProcessGroup> group) : tp(group) {
    embed = register_module("embed", VocabParallelEmbedding(32, 16, group));
    up = register_module("up", ColumnParallelLinear(16, 64, group));
    down = register_module("down", RowParallelLinear(64, 16, group));
    head = register_module("head", ColumnParallelLinear(16, 32, group, /*bias=*/false));
  }
  torch::Tensor loss(const torch::Tensor& ids, const torch::Tensor& targets) {
    torch::Tensor h = embed->forward(ids);
    h = h + down->forward(torch::gelu(up->forward(h)));
    return vocabParallelCrossEntropy(head->forward(h), targets, tp->rank() * (32 / tp->size()), tp).mean();
  }
  // Full parameters, gathered over the tensor-parallel group, by name.
  std::map<std::string, torch::Tensor> full() {
    torch::NoGradGuard noGrad;
    return {{"embed", tp->allGather(embed->weight)}, {"up.weight", tp->allGather(up->weight)},
            {"up.bias", tp->allGather(up->bias)},    {"down.weight", tp->allGather(down->weight.t().contiguous()).t()},
            {"down.bias", down->bias.clone()},       {"head", tp->allGather(head->weight)}};
  }
};

struct EpModel : torch::nn::Module {
  torch::nn::Linear in{nullptr}, out{nullptr};
  MixtureOfExperts moe{nullptr};
  std::shared_ptr<ProcessGroup> ep;
  explicit EpModel(std::shared_ptr<ProcessGroup> group) : ep(group) {
    in = register_module("in", torch::nn::Linear(8, 16));
    moe = register_module("moe", MixtureOfExperts(MoeOptions{16, 32, 4, 2, 100.0}, group));
    out = register_module("out", torch::nn::Linear(16, 5));
  }
  // This rank's share of the global mean cross-entropy, and the (global) balance loss.
  std::pair<torch::Tensor, torch::Tensor> loss(const torch::Tensor& x, const torch::Tensor& y, int64_t globalTokens) {
    torch::Tensor h = in->forward(x);
    h = h + moe->forward(h);
    const torch::Tensor ce = torch::nn::functional::cross_entropy(
        out->forward(h), y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
    return {ce / static_cast<double>(globalTokens), 0.01 * moe->auxLoss()};
  }
  std::map<std::string, torch::Tensor> full() {
    torch::NoGradGuard noGrad;
    return {{"in.weight", in->weight.clone()},
            {"router", moe->router->weight.clone()},
            {"w1", ep->allGather(moe->w1)},
            {"w2", ep->allGather(moe->w2)},
            {"out.weight", out->weight.clone()}};
  }
};

struct FsdpModel {
  std::shared_ptr<torch::nn::Sequential> first;
  std::shared_ptr<torch::nn::Linear> second;
  std::unique_ptr<FullyShardedUnit> unit1, unit2;
  std::shared_ptr<ProcessGroup> group;
  explicit FsdpModel(std::shared_ptr<ProcessGroup> g) : group(g) {
    first = std::make_shared<torch::nn::Sequential>(torch::nn::Linear(8, 32), torch::nn::GELU());
    second = std::make_shared<torch::nn::Linear>(32, 5);
    unit1 = std::make_unique<FullyShardedUnit>("first", first->ptr(), g);
    unit2 = std::make_unique<FullyShardedUnit>("second", second->ptr(), g);
  }
  torch::Tensor loss(const torch::Tensor& x, const torch::Tensor& y) {
    torch::Tensor h = unit1->forward(x, [this](const torch::Tensor& in) { return (*first)->forward(in); });
    h = unit2->forward(h, [this](const torch::Tensor& in) { return (*second)->forward(in); });
    return torch::nn::functional::cross_entropy(h, y);
  }
  void step() {
    torch::NoGradGuard noGrad;
    for (auto* u : {unit1.get(), unit2.get()}) {
      u->shard().sub_(u->shard().grad() * kLr);
      u->shard().mutable_grad() = torch::Tensor();
    }
  }
  std::map<std::string, torch::Tensor> full() {
    std::map<std::string, torch::Tensor> out;
    for (auto* u : {unit1.get(), unit2.get()})
      for (auto& [name, t] : u->gatherFull()) out[name] = t;
    return out;
  }
};

void sgd(torch::nn::Module& m) {
  torch::NoGradGuard noGrad;
  for (auto& p : m.parameters()) {
    if (p.grad().defined()) p.sub_(p.grad() * kLr);
    p.mutable_grad() = torch::Tensor();
  }
}

// One rank of one case: trains, and rank 0 writes losses and full parameters as JSON.
int worker(const std::string& kase, const std::string& outPath) {
  torch::set_num_threads(1);
  const DistEnv env = DistEnv::fromEnvironment();
  auto world = ProcessGroup::create(env, torch::kCPU, std::chrono::seconds(60));
  torch::manual_seed(123);
  const torch::Tensor ids = torch::randint(0, 32, {24});
  const torch::Tensor targets = torch::randint(0, 32, {24});
  const torch::Tensor x = torch::randn({32, 8});
  const torch::Tensor y = torch::randint(0, 5, {32});
  torch::manual_seed(7);
  Json result;
  Json losses = Json::array();
  std::map<std::string, torch::Tensor> params;
  if (kase == "tp") {
    TpModel model(world);
    for (int s = 0; s < kSteps; ++s) {
      torch::Tensor loss = model.loss(ids, targets);
      loss.backward();
      sgd(model);
      losses.push_back(loss.item<double>());
    }
    params = model.full();
  } else if (kase == "ep") {
    EpModel model(world);
    const int64_t per = 32 / world->size(), first = world->rank() * per;
    for (int s = 0; s < kSteps; ++s) {
      auto [share, balance] = model.loss(x.narrow(0, first, per), y.narrow(0, first, per), 32);
      (share + balance).backward();
      // Replicated parameters: the sum over ranks of each rank's share is the global gradient.
      for (auto* p :
           {&model.in->weight, &model.in->bias, &model.out->weight, &model.out->bias, &model.moe->router->weight})
        world->allReduceSum(p->mutable_grad());
      torch::Tensor total = share.detach().clone();
      world->allReduceSum(total);
      sgd(model);
      losses.push_back(total.item<double>() + balance.item<double>());
    }
    params = model.full();
  } else if (kase.rfind("fsdp", 0) == 0) {
    // "fsdp": 5 steps; "fsdp-save": 3 steps, then a sharded checkpoint; "fsdp-load": resumes it
    // (in any world size) for the last 2 steps.
    FsdpModel model(world);
    const std::filesystem::path checkpoint = std::filesystem::path(outPath).parent_path() / "fsdp-checkpoint";
    int from = 0, to = kSteps;
    if (kase == "fsdp-save") to = 3;
    if (kase == "fsdp-load") {
      loadShardedState(checkpoint, {model.unit1.get(), model.unit2.get()});
      from = 3;
    }
    const int64_t per = 32 / world->size(), first = world->rank() * per;
    for (int s = from; s < to; ++s) {
      torch::Tensor loss = model.loss(x.narrow(0, first, per), y.narrow(0, first, per));
      loss.backward();
      model.step();
      torch::Tensor total = loss.detach().clone();
      world->allReduceMean(total);
      losses.push_back(total.item<double>());
    }
    if (kase == "fsdp-save") saveShardedState(checkpoint, {model.unit1.get(), model.unit2.get()}, *world);
    params = model.full();
  } else {  // "tpdp": tensor-parallel pairs {0,1}, {2,3}; data-parallel pairs {0,2}, {1,3}
    const int tpSize = world->size() >= 2 ? 2 : 1, dpSize = world->size() / tpSize;
    const int tpIndex = world->rank() / tpSize, tpRank = world->rank() % tpSize;
    std::vector<int> tpRanks, dpRanks;
    for (int r = 0; r < tpSize; ++r) tpRanks.push_back(tpIndex * tpSize + r);
    for (int d = 0; d < dpSize; ++d) dpRanks.push_back(d * tpSize + tpRank);
    auto tp = world->size() > 1 ? world->subgroup(tpRanks, "tp" + std::to_string(tpIndex)) : world;
    auto dp = world->size() > 1 ? world->subgroup(dpRanks, "dp" + std::to_string(tpRank)) : world;
    TpModel model(tp);
    const int64_t per = 24 / dpSize, first = tpIndex * per;
    for (int s = 0; s < kSteps; ++s) {
      torch::Tensor loss = model.loss(ids.narrow(0, first, per), targets.narrow(0, first, per));
      loss.backward();
      for (auto& p : model.parameters()) dp->allReduceMean(p.mutable_grad());
      torch::Tensor total = loss.detach().clone();
      dp->allReduceMean(total);
      sgd(model);
      losses.push_back(total.item<double>());
    }
    params = model.full();
  }
  if (world->rank() == 0) {
    result["losses"] = losses;
    for (auto& [name, t] : params) {
      const torch::Tensor flat = t.to(torch::kFloat64).contiguous().view(-1);
      result["params"][name] = std::vector<double>(flat.data_ptr<double>(), flat.data_ptr<double>() + flat.numel());
    }
    std::ofstream(outPath) << result.dump();
  }
  world->barrier();
  return 0;
}

int freePort() {
  QTcpServer server;
  server.listen(QHostAddress::LocalHost, 0);
  return server.serverPort();
}

Json runCase(const QString& kase, int ranks, const QString& dir) {
  const QString out = dir + QString("/%1-%2.json").arg(kase).arg(ranks);
  const int port = freePort();
  std::vector<std::unique_ptr<QProcess>> procs;
  for (int r = 0; r < ranks; ++r) {
    auto p = std::make_unique<QProcess>();
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("REEF_PARALLEL_CASE", kase);
    env.insert("REEF_PARALLEL_OUT", out);
    env.insert("RANK", QString::number(r));
    env.insert("LOCAL_RANK", QString::number(r));
    env.insert("WORLD_SIZE", QString::number(ranks));
    env.insert("MASTER_ADDR", "127.0.0.1");
    env.insert("MASTER_PORT", QString::number(port));
    p->setProcessEnvironment(env);
    p->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    p->start(QCoreApplication::applicationFilePath(), {});
    procs.push_back(std::move(p));
  }
  for (auto& p : procs) {
    if (!p->waitForFinished(120000) || p->exitCode() != 0) return Json();
  }
  std::ifstream in(out.toStdString());
  return Json::parse(in, nullptr, false);
}

}  // namespace

class TestParallelLayers : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private Q_SLOTS:
  void equalsOneProcess_data() {
    QTest::addColumn<QString>("kase");
    QTest::addColumn<int>("ranks");
    QTest::newRow("tensor parallel, 2") << "tp" << 2;
    QTest::newRow("tensor parallel, 4") << "tp" << 4;
    QTest::newRow("expert parallel, 2") << "ep" << 2;
    QTest::newRow("expert parallel, 4") << "ep" << 4;
    QTest::newRow("tp x dp, 2 x 2") << "tpdp" << 4;
    QTest::newRow("fsdp, 2") << "fsdp" << 2;
    QTest::newRow("fsdp, 4") << "fsdp" << 4;
  }

  void equalsOneProcess() {
    QFETCH(QString, kase);
    QFETCH(int, ranks);
    const Json one = runCase(kase, 1, dir_.path());
    const Json many = runCase(kase, ranks, dir_.path());
    QVERIFY2(!one.is_discarded() && !one.is_null(), "the one-process run failed");
    QVERIFY2(!many.is_discarded() && !many.is_null(), "the parallel run failed");
    for (int s = 0; s < kSteps; ++s) {
      const double a = one["losses"][s].get<double>(), b = many["losses"][s].get<double>();
      QVERIFY2(std::abs(a - b) <= 1e-5 * std::abs(a),
               qPrintable(QString("step %1: %2 vs %3").arg(s + 1).arg(a).arg(b)));
    }
    QCOMPARE(one["losses"][0].get<double>() > one["losses"][kSteps - 1].get<double>(), true);  // it learns
    expectSameParams(one, many);
  }

  // A sharded checkpoint written by 2 ranks resumes in one process to the same result as 5 steps.
  void fsdpCheckpointResumesInOneProcess() {
    const Json straight = runCase("fsdp", 1, dir_.path());
    QVERIFY(!runCase("fsdp-save", 2, dir_.path()).is_null());
    const Json resumed = runCase("fsdp-load", 1, dir_.path());
    QVERIFY2(!resumed.is_null() && !resumed.is_discarded(), "the resumed run failed");
    QCOMPARE(resumed["losses"].size(), size_t(2));
    for (int s = 0; s < 2; ++s) {
      const double a = straight["losses"][3 + s].get<double>(), b = resumed["losses"][s].get<double>();
      QVERIFY2(std::abs(a - b) <= 1e-5 * std::abs(a),
               qPrintable(QString("step %1: %2 vs %3").arg(4 + s).arg(a).arg(b)));
    }
    expectSameParams(straight, resumed);
  }

 private:
  void expectSameParams(const Json& one, const Json& many) {
    for (const auto& [name, values] : one["params"].items()) {
      const auto& other = many["params"][name];
      QCOMPARE(other.size(), values.size());
      double diff = 0, norm = 0;
      for (size_t i = 0; i < values.size(); ++i) {
        const double a = values[i].get<double>(), b = other[i].get<double>();
        diff += (a - b) * (a - b);
        norm += a * a;
      }
      QVERIFY2(std::sqrt(diff) <= 1e-5 * std::sqrt(norm),
               qPrintable(QString("%1 differs by %2").arg(QString::fromStdString(name)).arg(std::sqrt(diff / norm))));
    }
  }
};

int main(int argc, char** argv) {
  if (const char* kase = std::getenv("REEF_PARALLEL_CASE")) return worker(kase, std::getenv("REEF_PARALLEL_OUT"));
  QCoreApplication app(argc, argv);
  TestParallelLayers test;
  return QTest::qExec(&test, argc, argv);
}

#include "tst_parallel_layers.moc"

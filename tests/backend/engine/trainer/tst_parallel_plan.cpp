// How the ranks of a job share the training: settings that cannot work are refused with the key
// and the fix, the groups that split the model and average gradients, run_started's strategy, and
// the plan of a plain one-process run.
#include <torch/torch.h>

#include "backend/engine/trainer/parallel_plan.h"

#include <QtTest>

#include <algorithm>
#include <functional>

using namespace reef::engine;

namespace {

// The message of what `f` throws; empty when it throws nothing.
QString errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return QString::fromUtf8(e.what());
  }
  return {};
}

}  // namespace

class TestParallelPlan : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void tensorParallelMustDivideTheRanks() {
    const QString error = errorOf([] { checkParallelSettings(3, 2, 1, false); });
    QVERIFY2(error.contains("trainer.tensor_parallel (2)"), qPrintable(error));
    QVERIFY2(error.contains("number of ranks (3)"), qPrintable(error));
    QVERIFY2(error.contains("reef launch --nproc 2"), qPrintable(error));
  }

  void expertParallelMustDivideTheRanks() {
    const QString error = errorOf([] { checkParallelSettings(6, 1, 4, false); });
    QVERIFY2(error.contains("trainer.expert_parallel (4)"), qPrintable(error));
    QVERIFY2(error.contains("number of ranks (6)"), qPrintable(error));
    QVERIFY2(error.contains("reef launch --nproc 4"), qPrintable(error));
  }

  void tensorAndExpertParallelTogetherAreRefused() {
    const QString error = errorOf([] { checkParallelSettings(8, 2, 2, false); });
    QVERIFY2(error.contains("trainer.tensor_parallel and trainer.expert_parallel"), qPrintable(error));
    QVERIFY2(error.contains("choose one"), qPrintable(error));
  }

  void fsdpWithASplitModelIsRefused() {
    const QString withTp = errorOf([] { checkParallelSettings(4, 2, 1, true); });
    QVERIFY2(withTp.contains("fsdp") && withTp.contains("trainer.tensor_parallel"), qPrintable(withTp));
    const QString withEp = errorOf([] { checkParallelSettings(4, 1, 2, true); });
    QVERIFY2(withEp.contains("fsdp") && withEp.contains("trainer.expert_parallel"), qPrintable(withEp));
  }

  void workableSettingsAreAccepted() {
    QCOMPARE(errorOf([] { checkParallelSettings(1, 1, 1, false); }), QString());
    QCOMPARE(errorOf([] { checkParallelSettings(8, 2, 1, false); }), QString());
    QCOMPARE(errorOf([] { checkParallelSettings(8, 1, 4, false); }), QString());
    QCOMPARE(errorOf([] { checkParallelSettings(4, 1, 1, true); }), QString());
  }

  void splitRanksGroupConsecutiveRanks() {
    const SplitRanks r = splitRanks(5, 8, 2);
    QCOMPARE(r.split, (std::vector<int>{4, 5}));
    QCOMPARE(r.replicas, (std::vector<int>{1, 3, 5, 7}));

    const SplitRanks four = splitRanks(6, 8, 4);
    QCOMPARE(four.split, (std::vector<int>{4, 5, 6, 7}));
    QCOMPARE(four.replicas, (std::vector<int>{2, 6}));

    // No split: each rank alone, every rank a replica (plain data parallelism).
    const SplitRanks none = splitRanks(2, 4, 1);
    QCOMPARE(none.split, (std::vector<int>{2}));
    QCOMPARE(none.replicas, (std::vector<int>{0, 1, 2, 3}));
  }

  void splitGroupsPartitionTheWorld() {
    const int world = 8, size = 2;
    std::vector<int> owner(world, -1);
    for (int rank = 0; rank < world; ++rank) {
      const SplitRanks r = splitRanks(rank, world, size);
      QCOMPARE(int(r.split.size()), size);
      QCOMPARE(int(r.replicas.size()), world / size);
      QVERIFY(std::find(r.split.begin(), r.split.end(), rank) != r.split.end());
      QVERIFY(std::find(r.replicas.begin(), r.replicas.end(), rank) != r.replicas.end());
      // The members of a rank's split agree on it: every rank belongs to exactly one split group.
      for (int member : r.split) {
        QCOMPARE(splitRanks(member, world, size).split, r.split);
        if (owner[member] < 0) owner[member] = r.split.front();
        QCOMPARE(owner[member], r.split.front());
      }
      // A replica holds the same position in its own split group.
      for (int replica : r.replicas) QCOMPARE(replica % size, rank % size);
    }
  }

  void strategyNames_data() {
    QTest::addColumn<int>("world");
    QTest::addColumn<int>("tp");
    QTest::addColumn<int>("ep");
    QTest::addColumn<bool>("fsdp");
    QTest::addColumn<bool>("distributed");
    QTest::addColumn<QString>("strategy");
    QTest::newRow("one process") << 1 << 1 << 1 << false << false << "single";
    QTest::newRow("launched with one rank") << 1 << 1 << 1 << false << true << "ddp";
    QTest::newRow("data parallel") << 4 << 1 << 1 << false << true << "ddp";
    QTest::newRow("fully sharded") << 4 << 1 << 1 << true << true << "fsdp";
    QTest::newRow("tensor parallel") << 2 << 2 << 1 << false << true << "tp";
    QTest::newRow("tensor x data parallel") << 8 << 2 << 1 << false << true << "tp+ddp";
    QTest::newRow("expert parallel") << 4 << 1 << 4 << false << true << "ep";
    QTest::newRow("expert x data parallel") << 8 << 1 << 4 << false << true << "ep+ddp";
  }

  void strategyNames() {
    QFETCH(int, world);
    QFETCH(int, tp);
    QFETCH(int, ep);
    QFETCH(bool, fsdp);
    QFETCH(bool, distributed);
    QFETCH(QString, strategy);
    QCOMPARE(QString::fromStdString(strategyName(world, tp, ep, fsdp, distributed)), strategy);
  }

  void oneProcessPlan() {
    DistEnv dist;  // no job: rank 0 of 1
    TrainerSettings settings;
    settings.strategy = "ddp";
    const ParallelPlan plan =
        ParallelPlan::create(dist, settings, torch::Device(torch::kCPU), std::chrono::seconds(10));
    QVERIFY(plan.world);
    QCOMPARE(plan.world->size(), 1);
    QCOMPARE(plan.world->rank(), 0);
    QVERIFY(plan.dataGroup == plan.world);
    QVERIFY(!plan.tensorGroup);
    QVERIFY(!plan.expertGroup);
    QVERIFY(!plan.expertReplicas);
    QCOMPARE(plan.dataRank, 0);
    QCOMPARE(plan.dataSize, 1);
    QCOMPARE(plan.splitSize(), 1);
    QVERIFY(plan.validator);
    QVERIFY(plan.rank0());
    QVERIFY(!plan.fsdp);
    QCOMPARE(QString::fromStdString(plan.strategy()), QString("single"));
  }

  void fsdpNeedsAJob() {
    // strategy fsdp in a plain process trains as one process would: nothing to shard across.
    TrainerSettings settings;
    settings.strategy = "fsdp";
    const ParallelPlan plan =
        ParallelPlan::create(DistEnv{}, settings, torch::Device(torch::kCPU), std::chrono::seconds(10));
    QVERIFY(!plan.fsdp);
    QCOMPARE(QString::fromStdString(plan.strategy()), QString("single"));
  }

  void oneProcessRefusesTensorParallel() {
    TrainerSettings settings;
    settings.strategy = "ddp";
    settings.tensorParallel = 2;
    const QString error = errorOf(
        [&] { ParallelPlan::create(DistEnv{}, settings, torch::Device(torch::kCPU), std::chrono::seconds(10)); });
    QVERIFY2(error.contains("trainer.tensor_parallel (2)") && error.contains("reef launch --nproc 2"),
             qPrintable(error));
  }
};

QTEST_GUILESS_MAIN(TestParallelPlan)
#include "tst_parallel_plan.moc"

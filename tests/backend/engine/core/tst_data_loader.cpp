// The data loader's order is a function of (seed, epoch, batch) only: the same with or without
// workers, after a seek, and a permutation of the dataset every epoch.
#include <torch/torch.h>

#include "backend/engine/core/data_loader.h"

#include <QtTest>

#include <set>

using namespace reef::engine;

namespace {

class IndexDataset : public Dataset {
 public:
  explicit IndexDataset(int64_t n, int64_t failAt = -1) : n_(n), failAt_(failAt) {}
  int64_t size() const override { return n_; }
  Batch get(const std::vector<int64_t>& indices) const override {
    for (int64_t i : indices)
      if (i == failAt_) throw std::runtime_error("sample " + std::to_string(i) + " is unreadable");
    Batch b;
    b.fields["index"] = torch::tensor(indices);
    b.size = static_cast<int64_t>(indices.size());
    return b;
  }

 private:
  int64_t n_, failAt_;
};

std::vector<int64_t> drain(DataLoader& loader, int batches) {
  std::vector<int64_t> out;
  for (int i = 0; i < batches; ++i) {
    auto t = loader.next().at("index");
    out.insert(out.end(), t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
  }
  return out;
}

}  // namespace

class TestDataLoader : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void workersDoNotChangeTheOrder() {
    auto ds = std::make_shared<IndexDataset>(103);
    DataLoader inline0(ds, {10, true, false, 42, 0, 2});
    DataLoader threaded(ds, {10, true, false, 42, 3, 2});
    QCOMPARE(inline0.batchesPerEpoch(), int64_t(11));
    QCOMPARE(drain(inline0, 33), drain(threaded, 33));
  }

  void everyEpochIsAPermutationAndEpochsDiffer() {
    auto ds = std::make_shared<IndexDataset>(50);
    DataLoader loader(ds, {10, true, false, 7, 2, 2});
    auto epoch0 = drain(loader, 5);
    auto epoch1 = drain(loader, 5);
    QCOMPARE(std::set<int64_t>(epoch0.begin(), epoch0.end()).size(), size_t(50));
    QCOMPARE(std::set<int64_t>(epoch1.begin(), epoch1.end()).size(), size_t(50));
    QVERIFY(epoch0 != epoch1);
    QCOMPARE(loader.position().epoch, int64_t(2));
  }

  void seekResumesExactly() {
    auto ds = std::make_shared<IndexDataset>(64);
    DataLoader straight(ds, {8, true, true, 3, 2, 2});
    auto all = drain(straight, 20);
    DataLoader resumed(ds, {8, true, true, 3, 2, 2});
    drain(resumed, 2);
    resumed.seek({1, 3});  // batch 3 of epoch 1 = the 12th batch overall
    auto tail = drain(resumed, 9);
    QCOMPARE(tail, std::vector<int64_t>(all.begin() + 11 * 8, all.end()));
  }

  void dropLastAndNoShuffle() {
    auto ds = std::make_shared<IndexDataset>(25);
    DataLoader loader(ds, {10, false, true, 0, 0, 2});
    QCOMPARE(loader.batchesPerEpoch(), int64_t(2));
    auto first = drain(loader, 1);
    QCOMPARE(first.front(), int64_t(0));
    QCOMPARE(first.back(), int64_t(9));
  }

  void datasetErrorsReachTheCaller() {
    auto ds = std::make_shared<IndexDataset>(40, 17);
    DataLoader loader(ds, {10, false, false, 0, 2, 2});
    drain(loader, 1);
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, loader.next());
  }

  void tooSmallDatasetIsRefused() {
    auto ds = std::make_shared<IndexDataset>(5);
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, DataLoader(ds, {10, true, true, 0, 0, 2}));
  }
};

QTEST_APPLESS_MAIN(TestDataLoader)
#include "tst_data_loader.moc"

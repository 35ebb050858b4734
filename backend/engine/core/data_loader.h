#pragma once
// Batches in a deterministic order, built ahead of time by worker threads. Batch b of epoch e
// always holds the same samples for a given seed, however many workers there are, so a resumed
// run sees exactly the data the uninterrupted run would have seen.
#include "backend/engine/core/dataset.h"

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace reef::engine {

struct DataPosition {
  int64_t epoch = 0;
  int64_t batch = 0;  // index within the epoch of the next batch to hand out
};

class DataLoader {
 public:
  struct Options {
    int64_t batchSize = 32;
    bool shuffle = true;
    bool dropLast = false;
    uint64_t seed = 0;
    int workers = 0;   // 0: batches are built on the calling thread
    int prefetch = 2;  // batches kept ready per worker
    // Data parallelism: the global batch is batchSize * world samples, and this rank takes the
    // rank-th slice of it, so all ranks together see exactly what one process would.
    int rank = 0;
    int world = 1;
  };

  DataLoader(std::shared_ptr<const Dataset> dataset, Options options);
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  int64_t batchesPerEpoch() const { return batchesPerEpoch_; }
  // The next call to next() returns batch `position.batch` of epoch `position.epoch`.
  void seek(DataPosition position);
  DataPosition position() const;
  // The next batch; after the last batch of an epoch comes the first of the following one.
  Batch next();

  // Sample indices of batch `batch` of epoch `epoch` (a pure function of seed, epoch, batch).
  std::vector<int64_t> indices(int64_t epoch, int64_t batch) const;

 private:
  void startWorkers();
  void stopWorkers();
  void workerLoop();

  std::shared_ptr<const Dataset> dataset_;
  Options options_;
  int64_t batchesPerEpoch_ = 0;

  // Tickets number the batches across epochs: ticket = epoch * batchesPerEpoch + batch.
  mutable std::mutex mutex_;
  std::condition_variable produced_;
  std::condition_variable wanted_;
  int64_t nextToConsume_ = 0;
  int64_t nextToProduce_ = 0;
  bool stopping_ = false;
  std::map<int64_t, Batch> ready_;
  std::map<int64_t, std::exception_ptr> failed_;
  std::vector<std::thread> workers_;

  mutable std::mutex permutationMutex_;
  mutable std::map<int64_t, std::vector<int64_t>> permutations_;
};

}  // namespace reef::engine

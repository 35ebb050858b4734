#pragma once
// Dynamic batching: items submitted from many request threads are run together by one worker.
// The worker takes the first waiting item, waits at most `maxWait` for more (less when the batch
// fills up), and runs up to `maxBatch` of them in one call. A model evaluates a batch of 32 in
// little more time than one, so under load throughput grows with the batch while a lone request
// waits no more than maxWait. maxBatch 1 turns batching off (one item per call, in order).
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace reef::deploy {

template <typename Item, typename Result>
class DynamicBatcher {
 public:
  // Returns one result per item, in order; an exception fails every item of the batch.
  using Runner = std::function<std::vector<Result>(const std::vector<Item>& batch)>;
  using BatchObserver = std::function<void(size_t size)>;

  // With ownThread false, the caller runs the loop on a thread of its choosing with run().
  DynamicBatcher(Runner run, size_t maxBatch, std::chrono::microseconds maxWait, BatchObserver observe = {},
                 bool ownThread = true)
      : run_(std::move(run)), observe_(std::move(observe)), maxBatch_(maxBatch < 1 ? 1 : maxBatch), maxWait_(maxWait) {
    if (ownThread) worker_ = std::thread([this] { this->run(); });
  }
  ~DynamicBatcher() {
    stop();
    if (worker_.joinable()) worker_.join();
  }

  // Takes and runs batches until stop(); items already queued are still run.
  void run() { loop(); }
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
  }
  DynamicBatcher(const DynamicBatcher&) = delete;
  DynamicBatcher& operator=(const DynamicBatcher&) = delete;

  std::future<Result> submit(Item item) {
    std::promise<Result> promise;
    std::future<Result> future = promise.get_future();
    {
      std::lock_guard lock(mutex_);
      if (stopping_) throw std::runtime_error("the server is shutting down");
      queue_.push_back({std::move(item), std::move(promise)});
    }
    wake_.notify_all();
    return future;
  }

 private:
  struct Pending {
    Item item;
    std::promise<Result> promise;
  };

  void loop() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      const auto deadline = std::chrono::steady_clock::now() + maxWait_;
      wake_.wait_until(lock, deadline, [this] { return stopping_ || queue_.size() >= maxBatch_; });
      std::vector<Pending> batch;
      while (!queue_.empty() && batch.size() < maxBatch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      lock.unlock();
      runBatch(batch);
      lock.lock();
    }
  }

  void runBatch(std::vector<Pending>& batch) {
    std::vector<Item> items;
    items.reserve(batch.size());
    for (auto& p : batch) items.push_back(std::move(p.item));
    if (observe_) observe_(items.size());
    try {
      std::vector<Result> results = run_(items);
      if (results.size() != batch.size()) throw std::logic_error("a batch runner returned the wrong number of results");
      for (size_t i = 0; i < batch.size(); ++i) batch[i].promise.set_value(std::move(results[i]));
    } catch (...) {
      for (auto& p : batch) p.promise.set_exception(std::current_exception());
    }
  }

  Runner run_;
  BatchObserver observe_;
  size_t maxBatch_;
  std::chrono::microseconds maxWait_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace reef::deploy

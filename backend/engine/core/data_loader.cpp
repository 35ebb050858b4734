#include "backend/engine/core/data_loader.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace reef::engine {

namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Fisher-Yates with our own generator: the same order on every platform and library version.
std::vector<int64_t> shuffled(int64_t n, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  uint64_t state = seed ^ (0xa0761d6478bd642full * static_cast<uint64_t>(epoch + 1));
  for (int64_t i = n - 1; i > 0; --i) {
    const auto bound = static_cast<unsigned __int128>(i + 1);
    const auto j = static_cast<int64_t>((static_cast<unsigned __int128>(splitmix64(state)) * bound) >> 64);
    std::swap(order[static_cast<size_t>(i)], order[static_cast<size_t>(j)]);
  }
  return order;
}

// Length bucketing that keeps the loader's guarantees (a pure function of seed and epoch, and the
// same global batches for any world size): the shuffled order is cut into windows of
// `window` global batches, each window sorted by length, and the global batches of the whole
// epoch shuffled again so that short and long batches alternate.
std::vector<int64_t> bucketed(std::vector<int64_t> order, const std::vector<double>& lengths, int64_t globalBatch,
                              uint64_t seed, int64_t epoch) {
  constexpr int64_t window = 50;
  const auto n = static_cast<int64_t>(order.size());
  for (int64_t begin = 0; begin < n; begin += window * globalBatch) {
    const auto end = order.begin() + std::min(n, begin + window * globalBatch);
    std::stable_sort(order.begin() + begin, end, [&](int64_t a, int64_t b) {
      return lengths[static_cast<size_t>(a)] < lengths[static_cast<size_t>(b)];
    });
  }
  const int64_t batches = n / globalBatch;  // a partial last batch stays last
  const auto batchOrder = shuffled(batches, seed ^ 0x5bd1e9955bd1e995ull, epoch);
  std::vector<int64_t> out;
  out.reserve(order.size());
  for (const int64_t b : batchOrder)
    out.insert(out.end(), order.begin() + b * globalBatch, order.begin() + (b + 1) * globalBatch);
  out.insert(out.end(), order.begin() + batches * globalBatch, order.end());
  return out;
}

}  // namespace

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, Options options)
    : dataset_(std::move(dataset)), options_(options) {
  if (options_.batchSize <= 0) throw std::invalid_argument("data loader: batch size must be positive");
  const int64_t n = dataset_->size();
  const int64_t global = options_.batchSize * options_.world;
  batchesPerEpoch_ = options_.dropLast ? n / global : (n + global - 1) / global;
  if (batchesPerEpoch_ == 0)
    throw std::invalid_argument("data loader: the dataset has " + std::to_string(n) +
                                " samples, fewer than one batch of " + std::to_string(options_.batchSize));
  startWorkers();
}

DataLoader::~DataLoader() { stopWorkers(); }

std::vector<int64_t> DataLoader::indices(int64_t epoch, int64_t batch) const {
  const int64_t n = dataset_->size();
  const int64_t begin = std::min(n, (batch * options_.world + options_.rank) * options_.batchSize);
  const int64_t end = std::min(n, begin + options_.batchSize);
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(end - begin));
  if (!options_.shuffle) {
    for (int64_t i = begin; i < end; ++i) out.push_back(i);
    return out;
  }
  std::lock_guard<std::mutex> lock(permutationMutex_);
  auto it = permutations_.find(epoch);
  if (it == permutations_.end()) {
    // Workers run at most a few batches ahead, so a handful of epochs' orders is plenty.
    while (permutations_.size() >= 4) permutations_.erase(permutations_.begin());
    auto order = shuffled(n, options_.seed, epoch);
    if (const auto lengths = dataset_->lengths(); !lengths.empty())
      order = bucketed(std::move(order), lengths, options_.batchSize * options_.world, options_.seed, epoch);
    it = permutations_.emplace(epoch, std::move(order)).first;
  }
  out.assign(it->second.begin() + begin, it->second.begin() + end);
  return out;
}

void DataLoader::startWorkers() {
  stopping_ = false;
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { workerLoop(); });
}

void DataLoader::stopWorkers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wanted_.notify_all();
  for (auto& w : workers_) w.join();
  workers_.clear();
}

void DataLoader::workerLoop() {
  const int64_t window = static_cast<int64_t>(options_.workers) * options_.prefetch;
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wanted_.wait(lock, [&] { return stopping_ || nextToProduce_ < nextToConsume_ + window; });
    if (stopping_) return;
    const int64_t ticket = nextToProduce_++;
    lock.unlock();
    Batch batch;
    std::exception_ptr error;
    try {
      batch = dataset_->get(indices(ticket / batchesPerEpoch_, ticket % batchesPerEpoch_));
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    if (ticket < nextToConsume_) continue;  // a seek() made this batch stale
    if (error)
      failed_[ticket] = error;
    else
      ready_[ticket] = std::move(batch);
    produced_.notify_all();
  }
}

void DataLoader::seek(DataPosition position) {
  if (position.batch < 0 || position.batch >= batchesPerEpoch_ || position.epoch < 0)
    throw std::out_of_range("data loader: cannot seek to epoch " + std::to_string(position.epoch) + ", batch " +
                            std::to_string(position.batch) + " (an epoch has " + std::to_string(batchesPerEpoch_) +
                            " batches)");
  stopWorkers();
  ready_.clear();
  failed_.clear();
  nextToConsume_ = nextToProduce_ = position.epoch * batchesPerEpoch_ + position.batch;
  startWorkers();
}

DataPosition DataLoader::position() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return {nextToConsume_ / batchesPerEpoch_, nextToConsume_ % batchesPerEpoch_};
}

Batch DataLoader::next() {
  if (options_.workers == 0) {
    const int64_t ticket = nextToConsume_;
    Batch batch = dataset_->get(indices(ticket / batchesPerEpoch_, ticket % batchesPerEpoch_));
    ++nextToConsume_;
    return batch;
  }
  std::unique_lock<std::mutex> lock(mutex_);
  const int64_t ticket = nextToConsume_;
  produced_.wait(lock, [&] { return ready_.count(ticket) || failed_.count(ticket); });
  if (auto f = failed_.find(ticket); f != failed_.end()) {
    std::exception_ptr error = f->second;
    failed_.erase(f);
    std::rethrow_exception(error);
  }
  Batch batch = std::move(ready_[ticket]);
  ready_.erase(ticket);
  ++nextToConsume_;
  lock.unlock();
  wanted_.notify_all();
  return batch;
}

}  // namespace reef::engine

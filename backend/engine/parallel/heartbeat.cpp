#include "backend/engine/parallel/heartbeat.h"

#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <condition_variable>
#include <mutex>
#include <thread>

namespace reef::engine {

namespace {

std::string keyOf(int rank) { return "reef/alive/" + std::to_string(rank); }

// A client of the rendezvous store of its own: a beat or a check never queues behind, or blocks,
// the group's store operations.
c10::intrusive_ptr<c10d::TCPStore> connect(const std::string& address, int port, std::chrono::milliseconds timeout) {
  c10d::TCPStoreOptions options;
  options.port = static_cast<std::uint16_t>(port);
  options.isServer = false;
  options.waitWorkers = false;
  options.timeout = timeout;
  return c10::make_intrusive<c10d::TCPStore>(address, options);
}

}  // namespace

struct Heartbeat::State {
  std::string address;
  int port = 0, rank = 0, world = 0;
  std::chrono::milliseconds interval{1000};
  std::mutex mutex;
  std::condition_variable wake;
  bool stop = false;
  std::thread thread;

  void beat() {
    c10::intrusive_ptr<c10d::TCPStore> store;
    std::unique_lock<std::mutex> lock(mutex);
    while (!stop) {
      lock.unlock();
      try {
        if (!store) store = connect(address, port, 2 * interval);
        store->add(keyOf(rank), 1);
      } catch (const std::exception&) {
        store.reset();  // the store is gone or unreachable: try again next time
      }
      lock.lock();
      wake.wait_for(lock, interval, [this] { return stop; });
    }
  }
};

Heartbeat::Heartbeat(std::string address, int port, int rank, int world, std::chrono::milliseconds interval)
    : state_(std::make_unique<State>()) {
  state_->address = std::move(address);
  state_->port = port;
  state_->rank = rank;
  state_->world = world;
  state_->interval = interval;
  state_->thread = std::thread([s = state_.get()] { s->beat(); });
}

Heartbeat::~Heartbeat() {
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stop = true;
  }
  state_->wake.notify_all();
  state_->thread.join();
}

std::optional<std::vector<int>> Heartbeat::silentRanks(std::chrono::milliseconds window) const {
  const State& s = *state_;
  try {
    auto store = connect(s.address, s.port, 2 * s.interval);
    auto counters = [&] {
      std::vector<int64_t> out;
      for (int r = 0; r < s.world; ++r) out.push_back(store->add(keyOf(r), 0));  // add 0 reads without waiting
      return out;
    };
    const std::vector<int64_t> before = counters();
    std::this_thread::sleep_for(window);
    const std::vector<int64_t> after = counters();
    std::vector<int> silent;
    for (int r = 0; r < s.world; ++r)
      if (r != s.rank && after[r] == before[r]) silent.push_back(r);
    return silent;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string Heartbeat::storeAddress() const { return state_->address + ":" + std::to_string(state_->port); }

}  // namespace reef::engine

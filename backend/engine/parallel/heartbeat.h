#pragma once
// Which ranks still show signs of life. A crashed peer resets its connections and Gloo's error
// names its address, but a cut link gives no error at all: the collective waits for its timeout and
// says only "Timed out waiting 1800000ms for recv". So every rank bumps its own counter in the
// rendezvous store once a second, from its own thread and connection; after a failed collective
// the counters that stand still name the silent ranks.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace reef::engine {

class Heartbeat {
 public:
  // Starts beating for `rank` through the store at `address`:`port` (the job's rendezvous).
  Heartbeat(std::string address, int port, int rank, int world, std::chrono::milliseconds interval);
  ~Heartbeat();
  Heartbeat(const Heartbeat&) = delete;
  Heartbeat& operator=(const Heartbeat&) = delete;

  // The ranks whose counter did not move during `window` (it should span a few intervals); no value
  // when the store itself does not answer, which means this rank is the one cut off.
  std::optional<std::vector<int>> silentRanks(std::chrono::milliseconds window) const;

  std::string storeAddress() const;  // "address:port", for messages

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace reef::engine

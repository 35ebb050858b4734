#pragma once
// Continuous batching for `reef serve`: requests wait in a queue and join the running batch between
// decoding steps as soon as it has room (a free sequence and enough KV cache), in the order they
// came; each leaves as it ends, and its result goes to its own callback. One worker thread, the one
// that loaded the model, runs every model call (generation from another thread ran at 60-65 % of
// the speed, measured).
#include "backend/engine/core/text_generation.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

namespace reef::deploy {

class GenerationScheduler {
 public:
  using Done = std::function<void(engine::GenerationResult result, std::exception_ptr error)>;
  using BatchFactory = std::function<std::unique_ptr<engine::GenerationBatch>()>;
  // Called after each step: the sequences it decoded, then those running and waiting now.
  using StepObserver = std::function<void(size_t stepped, size_t running, size_t waiting)>;

  // Makes the batch now (on the worker thread: its errors surface at startup).
  GenerationScheduler(BatchFactory makeBatch, StepObserver observe = {});

  // From any thread. onText and done run on the worker: they must not block for long. After
  // stop(), `done` is called at once with an error.
  void submit(std::string prompt, engine::SamplingOptions options, engine::TokenCallback onText, Done done);
  // The worker's loop, until stop() and every request submitted before it is answered.
  void run();
  void stop();

  // The step bell, for the threads that stream the running sequences' text: rung after every
  // step (and when run() ends), it wakes them all with one call where a wake-up per token cost the
  // worker a system call per sequence per step. steps() counts the rings; read it before looking
  // for text, then waitForStepAfter() that count, so that no ring is missed.
  uint64_t steps();
  void waitForStepAfter(uint64_t seen);

 private:
  struct Job {
    uint64_t id = 0;
    std::string prompt;
    engine::SamplingOptions options;
    engine::TokenCallback onText;
    Done done;
  };
  std::optional<Job> takeWaiting();
  void admit();
  void stepOnce();
  void ring();
  // Fails the running requests, and the waiting ones with `queuedToo`.
  void failAll(const std::exception_ptr& error, bool queuedToo);
  size_t waiting();

  BatchFactory makeBatch_;
  StepObserver observe_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  std::map<uint64_t, Done> running_;                // worker only: the batch's requests
  std::unique_ptr<engine::GenerationBatch> batch_;  // null after a failure, until the next step
  uint64_t nextId_ = 0;
  bool stopping_ = false;
  std::mutex bellMutex_;
  std::condition_variable bell_;
  uint64_t rung_ = 0;
};

}  // namespace reef::deploy

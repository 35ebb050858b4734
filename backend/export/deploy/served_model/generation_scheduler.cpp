#include "backend/export/deploy/served_model/generation_scheduler.h"

#include <stdexcept>
#include <utility>

namespace reef::deploy {

namespace {

// Each new sequence's prompt runs alone before it joins; a burst of arrivals joins over several
// steps so that the running streams keep moving.
constexpr int kJoinsPerStep = 8;

}  // namespace

GenerationScheduler::GenerationScheduler(BatchFactory makeBatch, StepObserver observe)
    : makeBatch_(std::move(makeBatch)), observe_(std::move(observe)), batch_(makeBatch_()) {}

void GenerationScheduler::submit(std::string prompt, engine::SamplingOptions options, engine::TokenCallback onText,
                                 Done done) {
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back({nextId_++, std::move(prompt), std::move(options), std::move(onText), std::move(done)});
      wake_.notify_one();
      return;
    }
  }
  done({}, std::make_exception_ptr(std::runtime_error("the server is shutting down")));
}

void GenerationScheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
}

std::optional<GenerationScheduler::Job> GenerationScheduler::takeWaiting() {
  std::lock_guard lock(mutex_);
  if (queue_.empty()) return std::nullopt;
  Job job = std::move(queue_.front());
  queue_.pop_front();
  return job;
}

// Takes waiting requests, oldest first, until the batch has no room for the next one. A request
// that does not fit even an empty batch fails, rather than wait for room that cannot come.
void GenerationScheduler::admit() {
  for (int joins = 0; joins < kJoinsPerStep; ++joins) {
    std::optional<Job> job = takeWaiting();
    if (!job) return;
    bool joined = false;
    try {
      joined = batch_->add(job->id, job->prompt, job->options, job->onText);
      if (!joined && batch_->running() == 0)
        throw std::runtime_error("the request does not fit the server's KV cache even alone");
    } catch (...) {
      job->done({}, std::current_exception());
      continue;
    }
    if (!joined) {
      std::lock_guard lock(mutex_);
      queue_.push_front(std::move(*job));
      return;
    }
    running_[job->id] = std::move(job->done);
  }
}

size_t GenerationScheduler::waiting() {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void GenerationScheduler::failAll(const std::exception_ptr& error, bool queuedToo) {
  auto running = std::exchange(running_, {});
  for (auto& [id, done] : running) done({}, error);
  while (queuedToo)
    if (std::optional<Job> job = takeWaiting())
      job->done({}, error);
    else
      break;
}

void GenerationScheduler::stepOnce() {
  try {
    if (!batch_) batch_ = makeBatch_();
    admit();
    const size_t sequences = batch_->running();
    for (auto& finished : batch_->step()) {
      const auto it = running_.find(finished.id);
      if (it == running_.end()) continue;
      const Done done = std::move(it->second);
      running_.erase(it);
      done(std::move(finished.result), nullptr);
    }
    if (observe_) observe_(sequences, batch_->running(), waiting());
  } catch (...) {
    // A failed model call leaves the batch in an unknown state: its requests fail, and the next
    // ones get a new batch (the old one's cache freed first). If that cannot be made either, the
    // waiting requests fail too rather than wait for it.
    const std::exception_ptr error = std::current_exception();
    failAll(error, !batch_);
    batch_.reset();
  }
}

void GenerationScheduler::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty() || !running_.empty(); });
      if (stopping_ && queue_.empty() && running_.empty()) break;
    }
    stepOnce();
    ring();
  }
  ring();
}

void GenerationScheduler::ring() {
  {
    std::lock_guard lock(bellMutex_);
    ++rung_;
  }
  bell_.notify_all();
}

uint64_t GenerationScheduler::steps() {
  std::lock_guard lock(bellMutex_);
  return rung_;
}

void GenerationScheduler::waitForStepAfter(uint64_t seen) {
  std::unique_lock lock(bellMutex_);
  bell_.wait(lock, [&] { return rung_ != seen; });
}

}  // namespace reef::deploy

#include "backend/export/deploy/served_model/generation_scheduler.h"

namespace reef::deploy {

GenerationScheduler::GenerationScheduler(BatchFactory makeBatch, StepObserver observe)
    : makeBatch_(std::move(makeBatch)), observe_(std::move(observe)), batch_(makeBatch_()) {}

void GenerationScheduler::submit(std::string prompt, engine::SamplingOptions options, engine::TokenCallback onText,
                                 Done done) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back({nextId_++, std::move(prompt), std::move(options), std::move(onText), std::move(done)});
  }
  wake_.notify_one();
}

void GenerationScheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
}

// Takes waiting requests, oldest first, until the batch has no room for the next one.
void GenerationScheduler::admit() {
  for (;;) {
    Job job;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    bool joined = false;
    try {
      running_[job.id] = job.done;
      joined = batch_->add(job.id, job.prompt, job.options, job.onText);
    } catch (...) {
      running_.erase(job.id);
      job.done({}, std::current_exception());
      continue;
    }
    if (joined) continue;
    running_.erase(job.id);
    std::lock_guard lock(mutex_);
    queue_.push_front(std::move(job));
    return;
  }
}

void GenerationScheduler::failAll(std::exception_ptr error) {
  for (auto& [id, done] : running_) done({}, error);
  running_.clear();
}

void GenerationScheduler::stepOnce() {
  try {
    admit();
    const size_t sequences = batch_->running();
    for (auto& finished : batch_->step()) {
      const auto it = running_.find(finished.id);
      if (it == running_.end()) continue;
      it->second(std::move(finished.result), nullptr);
      running_.erase(it);
    }
    if (observe_ && sequences > 0) observe_(sequences);
  } catch (...) {
    // A failed model call leaves the batch in an unknown state: its requests fail, a new one starts.
    failAll(std::current_exception());
    batch_ = makeBatch_();
  }
}

void GenerationScheduler::run() {
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty() || batch_->running() > 0; });
      if (stopping_ && queue_.empty() && batch_->running() == 0) return;
    }
    stepOnce();
  }
}

}  // namespace reef::deploy

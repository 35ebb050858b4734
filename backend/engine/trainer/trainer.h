#pragma once
// The training loop: steps or epochs, gradient accumulation and clipping, schedules, validation,
// early stopping, checkpoints with keep-top-k, bit-exact resume, metric and system events. Its
// parts live beside it: parallel_plan (how ranks split the work), parameter_partition (what each
// rank holds and updates), checkpoint_state (saving and resuming), validation (early stopping),
// run_events (the events it writes).
#include "backend/engine/core/model.h"
#include "backend/engine/core/registry.h"
#include "backend/protocol/event_log.h"
#include "backend/protocol/run_dir.h"

#include <memory>
#include <string>

namespace reef::engine {

struct TrainResult {
  std::string status;  // completed | stopped (by a sweep) | cancelled
  int64_t step = 0;
  MetricMap testMetrics;  // "test/acc", ... when trainer.test_at_end ran
};

class Trainer {
 public:
  // `spec` is resolved; `events` is the run's stream, given to rank 0 only (nullptr elsewhere).
  // The job (rank, world size, rendezvous) comes from the environment: see parallel/dist_env.h.
  // Sets the run up (process groups, model, data, optimizer, the checkpoint it resumes from).
  Trainer(const Registry& registry, protocol::RunDir run, Json spec, protocol::EventWriter* events, bool interactive);
  ~Trainer();
  TrainResult run();

 private:
  class Session;
  std::unique_ptr<Session> session_;
};

// "cuda" when asked for and present (or on auto), else "cpu"; asking for cuda without one is an error.
torch::Device pickDevice(const std::string& accelerator);

}  // namespace reef::engine

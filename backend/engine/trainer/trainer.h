#pragma once
// The training loop: steps or epochs, gradient accumulation and clipping, schedules, validation,
// early stopping, checkpoints with keep-top-k, bit-exact resume, metric and system events.
#include "core/model.h"
#include "core/registry.h"
#include "protocol/event_log.h"
#include "protocol/run_dir.h"

#include <string>

namespace reef::engine {

struct TrainResult {
  std::string status;  // completed | cancelled
  int64_t step = 0;
  MetricMap testMetrics;  // "test/acc", ... when trainer.test_at_end ran
};

class Trainer {
 public:
  // `spec` is resolved; `events` is the run's stream, given to rank 0 only (nullptr elsewhere).
  // The job (rank, world size, rendezvous) comes from the environment: see parallel/dist_env.h.
  Trainer(const Registry& registry, protocol::RunDir run, Json spec, protocol::EventWriter* events,
          bool interactive);
  TrainResult run();

 private:
  const Registry& registry_;
  protocol::RunDir run_;
  Json spec_;
  protocol::EventWriter* events_;
  bool interactive_;
};

// "cuda" when asked for and present (or on auto), else "cpu"; asking for cuda without one is an error.
torch::Device pickDevice(const std::string& accelerator);

}  // namespace reef::engine

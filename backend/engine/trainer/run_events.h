#pragma once
// The trainer's events (docs/ARCHITECTURE.md lists every field): run_started, and the metrics of a
// logging interval, built from plain values so that their fields are checked without a run.
#include "backend/engine/core/model.h"
#include "backend/protocol/json.h"

#include <cstdint>
#include <optional>
#include <string>

namespace reef::engine {

struct RunStart {
  std::string runId, name, specHash;
  std::string strategy;  // single, ddp, fsdp, tp, tp+ddp, ep, ep+ddp
  std::string backend;   // of the process group: single (no job), gloo, nccl
  std::string device;
  std::string initFrom;  // empty: none
  int worldSize = 1, rank = 0, tensorParallel = 1, expertParallel = 1, threads = 1;
  int64_t parameters = 0, trainableParameters = 0, totalSteps = 0, stepsPerEpoch = 0;
  double peakMatmulGflops = 0;
  std::optional<int64_t> resumedFrom;
};

// run_started's fields, with this process's host and pid and the engine's and LibTorch's versions.
Json runStartedEvent(const RunStart& start);

// One logging interval, summed over every rank of the job.
struct Interval {
  double lossSum = 0;  // of the steps' losses (the global batch's)
  int64_t steps = 0, samples = 0, tokens = 0;
  double seconds = 0;  // training time only
};

// The interval's metric values: train/loss, train/lr, train/grad_norm, train/epoch,
// perf/samples_per_s, perf/step_ms and, for token models, perf/tokens_per_s, and with the model's
// FLOPs per token perf/model_gflops and perf/mfu (against `world` devices of `peakGflops`).
Json intervalMetrics(const Interval& interval, double lr, double gradNorm, double epoch, double flopsPerToken,
                     double peakGflops, int world);

// Metrics under a prefix ("val/", "test/"), and as one line for people.
Json prefixed(const MetricMap& metrics, const std::string& prefix);
std::string summary(const MetricMap& metrics, const std::string& prefix);

}  // namespace reef::engine

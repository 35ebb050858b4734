#include "backend/engine/trainer/run_events.h"

#include "backend/engine/core/version.h"
#include "backend/engine/parallel/dist_env.h"

#include <torch/version.h>
#include <unistd.h>

#include <sstream>

namespace reef::engine {

Json runStartedEvent(const RunStart& s) {
  return {{"run_id", s.runId},
          {"name", s.name},
          {"spec_hash", s.specHash},
          {"host", thisHost()},
          {"pid", static_cast<int64_t>(::getpid())},
          {"world_size", s.worldSize},
          {"rank", s.rank},
          {"strategy", s.strategy},
          {"tensor_parallel", s.tensorParallel},
          {"expert_parallel", s.expertParallel},
          {"backend", s.backend},
          {"devices", Json::array({s.device})},
          {"threads", s.threads},
          {"engine_version", REEF_VERSION},
          {"torch_version", TORCH_VERSION},
          {"parameters", s.parameters},
          {"trainable_parameters", s.trainableParameters},
          {"init_from", s.initFrom.empty() ? Json() : Json(s.initFrom)},
          {"total_steps", s.totalSteps},
          {"steps_per_epoch", s.stepsPerEpoch},
          {"peak_matmul_gflops", s.peakMatmulGflops},
          {"resumed_from_step", s.resumedFrom ? Json(*s.resumedFrom) : Json()}};
}

Json intervalMetrics(const Interval& i, double lr, double gradNorm, double epoch, double flopsPerToken,
                     double peakGflops, int world) {
  const auto steps = static_cast<double>(i.steps);
  Json values = {{"train/loss", i.lossSum / steps},
                 {"train/lr", lr},
                 {"train/grad_norm", gradNorm},
                 {"train/epoch", epoch},
                 {"perf/samples_per_s", static_cast<double>(i.samples) / i.seconds},
                 {"perf/step_ms", 1000.0 * i.seconds / steps}};
  if (i.tokens > 0) {
    const double tokensPerSecond = static_cast<double>(i.tokens) / i.seconds;
    values["perf/tokens_per_s"] = tokensPerSecond;
    if (flopsPerToken > 0) {
      values["perf/model_gflops"] = tokensPerSecond * flopsPerToken / 1e9;
      values["perf/mfu"] = tokensPerSecond * flopsPerToken / 1e9 / (peakGflops * world);
    }
  }
  return values;
}

Json prefixed(const MetricMap& metrics, const std::string& prefix) {
  Json values = Json::object();
  for (const auto& [k, v] : metrics) values[prefix + k] = v;
  return values;
}

std::string summary(const MetricMap& metrics, const std::string& prefix) {
  std::ostringstream out;
  out.precision(4);
  bool first = true;
  for (const auto& [k, v] : metrics) {
    out << (first ? "" : "  ") << prefix << k << " " << v;
    first = false;
  }
  return out.str();
}

}  // namespace reef::engine

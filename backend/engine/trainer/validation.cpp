#include "backend/engine/trainer/validation.h"

#include "backend/protocol/spec.h"

namespace reef::engine {

double monitoredValue(const Json& values, const std::string& monitor) {
  if (values.contains(monitor)) return values[monitor].get<double>();
  std::string known;
  for (const auto& [k, v] : values.items()) known += (known.empty() ? "" : ", ") + k;
  throw protocol::SpecError(
      "spec", {{"exp.monitor", "'" + monitor + "' is not a metric this model reports; validation reports " + known}});
}

bool recordValidation(TrainerState& state, double value, bool maximize, double minDelta) {
  const bool improved =
      !state.bestMonitor || (maximize ? value > *state.bestMonitor + minDelta : value < *state.bestMonitor - minDelta);
  if (improved) {
    state.bestMonitor = value;
    state.validationsWithoutImprovement = 0;
  } else {
    ++state.validationsWithoutImprovement;
  }
  return improved;
}

bool patienceExhausted(const TrainerState& state, int64_t patience) {
  return patience > 0 && state.validationsWithoutImprovement >= patience;
}

}  // namespace reef::engine

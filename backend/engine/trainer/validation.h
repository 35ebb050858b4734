#pragma once
// Validation during training: the monitored metric of a validation, whether it improved, and
// early stopping when it has not for trainer.early_stopping_patience validations in a row. The
// counts live in TrainerState, so that a resumed run stops where an uninterrupted one would.
#include "backend/engine/trainer/checkpoint.h"
#include "backend/protocol/json.h"

#include <cstdint>
#include <string>

namespace reef::engine {

// exp.monitor's value among a validation's values ("val/acc", "perf/val_seconds", ...); a
// SpecError on exp.monitor listing the metrics reported when it is not one of them.
double monitoredValue(const Json& values, const std::string& monitor);

// Records `value` in state.bestMonitor / state.validationsWithoutImprovement; an improvement must
// beat the best by more than `minDelta` in the monitor's direction. Returns whether it improved.
bool recordValidation(TrainerState& state, double value, bool maximize, double minDelta);

// Whether training stops early: patience > 0 validations in a row without improvement.
bool patienceExhausted(const TrainerState& state, int64_t patience);

}  // namespace reef::engine

#pragma once
// Early stopping: after a trial reports its validation metric, a rule says whether it goes on.
//
// - ASHA (Li et al., MLSys 2020) in its stopping form: rungs at min_steps * eta^k; a trial that
//   reaches a rung continues only if its value there is in the top 1/eta of the values every trial
//   has reported at that rung so far (while fewer than eta have, only the leader continues, as
//   Optuna's SuccessiveHalvingPruner does). A rung's value is the first report at or after it.
// - Median stopping: once `startupTrials` other trials have reached a step, a trial whose best
//   value so far is worse than the median of theirs (up to that step) stops.
//
// Non-finite values rank last.
#include "backend/sweep/sweep_spec.h"
#include "backend/sweep/trial.h"

#include <memory>
#include <string>
#include <vector>

namespace reef::sweep {

struct StopDecision {
  bool stop = false;
  std::string reason;  // for the trial's record and the log, e.g. "rung 1 (step 300): 0.91 ranks 4 of 6"
};

class StoppingRule {
 public:
  virtual ~StoppingRule() = default;
  // Judges trials[index] on its reports so far (recording its rung values in it).
  // `stepsPerEpoch` turns min_epochs into steps; 0 while unknown (no decision is made then).
  virtual StopDecision judge(std::vector<Trial>& trials, size_t index, int64_t stepsPerEpoch) const = 0;
};

// The sweep's rule, or nullptr when it has none.
std::unique_ptr<StoppingRule> makeStoppingRule(const SweepSpec& sweep);

// ASHA's rung steps below `maxSteps` (0: no limit; at most 30 rungs).
std::vector<int64_t> ashaRungs(int64_t firstRung, double eta, int64_t maxSteps);

}  // namespace reef::sweep

#pragma once
// What a sweep will cost before it runs: trials x rungs x steps, the compute in optimizer steps
// when every trial trains to the end, and what early stopping is expected to leave of it.
#include "backend/sweep/sweep_spec.h"

#include <cstdint>
#include <string>
#include <vector>

namespace reef::sweep {

struct SweepPlan {
  int trials = 0;
  int64_t stepsPerTrial = 0;    // 0: the base trains for epochs (steps known once a trial starts)
  std::vector<int64_t> rungs;   // ASHA's rung steps
  int64_t fullCompute = 0;      // trials x stepsPerTrial
  int64_t expectedCompute = 0;  // with ASHA: each rung keeps 1/eta of the trials
};

// `resolvedBase`: the base spec resolved against the catalog (for trainer.max_steps).
SweepPlan planSweep(const SweepSpec& sweep, const Json& resolvedBase);
// The preview `reef sweep --preview` prints: the method, every parameter and the plan.
std::string describePlan(const SweepSpec& sweep, const SweepPlan& plan);

}  // namespace reef::sweep

#pragma once
// Samplers propose the settings of the next trial from the sweep's history. Every sampler is
// deterministic: the same sweep (seed) and the same history give the same proposal. None proposes
// a configuration that a trial has already run (a lost trial's may be run again, by its
// replacement).
#include "backend/sweep/sweep_spec.h"
#include "backend/sweep/trial.h"

#include <memory>
#include <optional>
#include <vector>

namespace reef::sweep {

class Sampler {
 public:
  virtual ~Sampler() = default;
  // The settings of the next trial, or nullopt when no new configuration can be found (a grid or
  // a small discrete space is exhausted).
  std::optional<Assignment> propose(const std::vector<Trial>& history);

 protected:
  // A candidate for the next trial; `attempt` counts the candidates already refused as duplicates.
  virtual std::optional<Assignment> candidate(const std::vector<Trial>& history, int attempt) = 0;
};

// The sampler of the sweep's method.
std::unique_ptr<Sampler> makeSampler(const SweepSpec& sweep);

}  // namespace reef::sweep

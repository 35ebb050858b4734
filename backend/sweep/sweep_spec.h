#pragma once
// The sweep file (YAML, close to W&B's so that sweeps port easily):
//
//   name: lr-and-width
//   base: mnist_cnn.yaml            # a spec file (relative to this file) or an inline spec
//   method: tpe                     # grid | random | quasirandom | tpe
//   metric: {name: val/acc, goal: maximize}
//   parameters:
//     optim.lr: {distribution: log_uniform, min: 1.0e-4, max: 0.1}
//     optim.name: {values: [sgd, adamw]}
//     optim.momentum: {min: 0.5, max: 0.99, when: {optim.name: sgd}}
//   early_terminate: {type: asha, eta: 3, min_steps: 100}
//   run_cap: 30
//   max_concurrent: 2
//   seed: 7
//
// Parsing collects every problem with the key it is under; validation checks every parameter
// against the catalog's schema before anything starts.
#include "backend/protocol/catalog.h"
#include "backend/protocol/json.h"
#include "backend/sweep/search_space.h"

#include <cstdint>
#include <filesystem>
#include <string>

namespace reef::sweep {

enum class Method { Grid, Random, QuasiRandom, Tpe };
const char* methodName(Method method);

struct Objective {
  std::string name = "val/loss";
  bool maximize = false;
  bool better(double a, double b) const { return maximize ? a > b : a < b; }
};

struct EarlyTerminate {
  enum class Type { None, Asha, Median } type = Type::None;
  double eta = 3;         // ASHA: a trial continues past a rung when in the top 1/eta there
  int64_t minSteps = 0;   // the first rung (ASHA), or the steps before any decision (median)
  double minEpochs = 0;   // the same in epochs, turned into steps once a trial reports its epoch size
  int64_t maxSteps = 0;   // the budget of one trial; 0: the base spec's trainer.max_steps
  int startupTrials = 5;  // median: trials that must report at a step before anyone is stopped there
};

struct SweepSpec {
  std::string name;
  std::string source;          // the sweep file, for messages
  Json base = Json::object();  // the base experiment, unresolved
  std::string baseSource;      // where it came from, for messages
  Method method = Method::Random;
  Objective metric;
  SearchSpace space;
  EarlyTerminate early;
  int runCap = 0;  // trials to run (a grid defaults to its size)
  int maxConcurrent = 1;
  uint64_t seed = 0;
  int startupTrials = 10;    // TPE: random trials before the model takes over
  bool multivariate = true;  // TPE: unconditional parameters modelled jointly
  int maxFailures = 5;       // consecutive failed trials (none succeeding) that end the sweep

  // The whole sweep with its base inline: what the sweep's folder keeps.
  Json toJson() const;
  static SweepSpec fromJson(const Json& json, const std::string& source);
  // The base experiment with a trial's settings applied (unresolved).
  Json trialSpec(const Assignment& params) const;
};

// Reads a sweep file; a relative `base` path is read relative to the file. Throws
// protocol::SpecError listing every problem, each with its key.
SweepSpec loadSweepFile(const std::filesystem::path& path);
SweepSpec parseSweep(const Json& doc, const std::string& source, const std::filesystem::path& baseDir);
// Checks every parameter against the catalog (the key exists, each value or bound is allowed,
// the scale suits the range) and that the base spec resolves; throws protocol::SpecError.
void validateSweep(const SweepSpec& sweep, const protocol::Catalog& catalog);

}  // namespace reef::sweep

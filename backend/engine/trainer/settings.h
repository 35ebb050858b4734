#pragma once
// The spec sections the trainer owns (trainer, optim, exp): their schema, declared once, and the
// typed view of a resolved spec that the trainer reads.
#include "backend/protocol/catalog.h"
#include "backend/protocol/json.h"

#include <string>
#include <utility>
#include <vector>

namespace reef::engine {

std::vector<std::pair<std::string, protocol::Section>> trainerSections();

struct OptimSettings {
  std::string name;  // sgd | adam | adamw
  double lr = 1e-3;
  double weightDecay = 0;
  double momentum = 0;
  bool nesterov = false;
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  std::string schedule;  // constant | cosine | linear
  int64_t warmupSteps = 0;
  double minLrRatio = 0;
};

struct TrainerSettings {
  int64_t maxSteps = -1;
  int64_t maxEpochs = 1;
  int64_t valInterval = 0;
  int64_t limitValBatches = 0;
  int64_t logInterval = 50;
  int64_t accumulate = 1;
  double gradientClipNorm = 0;
  std::string precision;    // fp32 | bf16-mixed
  std::string accelerator;  // auto | cpu | cuda
  int threads = 0;
  int64_t earlyStoppingPatience = 0;
  double earlyStoppingMinDelta = 0;
  bool testAtEnd = true;
  std::string initFrom;  // run or checkpoint whose weights start a new run
  int tensorParallel = 1;
  int expertParallel = 1;
  std::string strategy;  // ddp | fsdp (with more than one rank)
  int collectiveTimeoutSeconds = 1800;
};

struct ExpSettings {
  std::string name;
  uint64_t seed = 1;
  int64_t checkpointInterval = 0;
  int64_t keepTopK = 1;
  std::string monitor;
  bool monitorMax = false;
  bool resumeAuto = true;
};

struct RunSettings {
  TrainerSettings trainer;
  OptimSettings optim;
  ExpSettings exp;
  static RunSettings fromSpec(const Json& resolved);
};

}  // namespace reef::engine

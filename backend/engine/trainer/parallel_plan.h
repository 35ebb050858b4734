#pragma once
// How a job's ranks share the training: data parallel (DDP, or FSDP with its shards), tensor
// parallel x data parallel, or expert parallel x data parallel; the process group of each split,
// and which ranks validate. Every rank builds the same plan from the same settings.
#include "backend/engine/parallel/dist_env.h"
#include "backend/engine/parallel/process_group.h"
#include "backend/engine/trainer/settings.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace reef::engine {

struct ParallelPlan {
  DistEnv dist;
  int tensorParallel = 1;
  int expertParallel = 1;
  bool fsdp = false;
  std::shared_ptr<ProcessGroup> world;           // every rank
  std::shared_ptr<ProcessGroup> tensorGroup;     // tensor_parallel > 1: the ranks splitting this one's layers
  std::shared_ptr<ProcessGroup> dataGroup;       // the ranks averaging gradients with this one
  std::shared_ptr<ProcessGroup> expertGroup;     // expert_parallel > 1: the ranks splitting the experts
  std::shared_ptr<ProcessGroup> expertReplicas;  // expert_parallel > 1: the ranks holding the same experts
  int dataRank = 0, dataSize = 1;                // this rank's place among the data-parallel replicas
  // The ranks of the first model-splitting group validate together (each forward under tensor or
  // expert parallelism or FSDP needs all of them); the others skip validation and testing.
  bool validator = true;

  bool rank0() const { return dist.rank == 0; }
  // The size and group of the split that divides the model's tensors (tensor or expert parallel).
  int splitSize() const { return std::max(tensorParallel, expertParallel); }
  const std::shared_ptr<ProcessGroup>& splitGroup() const { return tensorParallel > 1 ? tensorGroup : expertGroup; }
  // run_started's "strategy": single, ddp, fsdp, tp, tp+ddp, ep, ep+ddp.
  std::string strategy() const;

  // Checks the settings against the job, then joins the groups (every rank calls it). Collectives
  // time out after `timeout`.
  static ParallelPlan create(const DistEnv& dist, const TrainerSettings& settings, const torch::Device& device,
                             std::chrono::milliseconds timeout);
};

// Throws naming the keys and the fix when tensor_parallel or expert_parallel does not divide the
// ranks, or when two strategies that do not combine are asked for together.
void checkParallelSettings(int world, int tensorParallel, int expertParallel, bool fsdp);

// Consecutive ranks form a group that splits the model; ranks with the same position in their
// groups hold the same shards and average their gradients.
struct SplitRanks {
  std::vector<int> split;     // the group of `rank`
  std::vector<int> replicas;  // the ranks holding the same shards as `rank`
};
SplitRanks splitRanks(int rank, int world, int size);

std::string strategyName(int world, int tensorParallel, int expertParallel, bool fsdp, bool distributed);

}  // namespace reef::engine

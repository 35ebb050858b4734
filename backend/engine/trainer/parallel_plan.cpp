#include "backend/engine/trainer/parallel_plan.h"

#include <stdexcept>
#include <tuple>
#include <utility>

namespace reef::engine {

void checkParallelSettings(int world, int tensorParallel, int expertParallel, bool fsdp) {
  for (const auto& [key, size] :
       {std::make_pair("tensor_parallel", tensorParallel), std::make_pair("expert_parallel", expertParallel)})
    if (world % size != 0)
      throw std::runtime_error(std::string("trainer.") + key + " (" + std::to_string(size) +
                               ") must divide the number of ranks (" + std::to_string(world) +
                               "): launch a multiple of it, e.g. reef launch --nproc " + std::to_string(size));
  if (tensorParallel > 1 && expertParallel > 1)
    throw std::runtime_error(
        "trainer.tensor_parallel and trainer.expert_parallel (both > 1) do not combine yet: choose one");
  if (fsdp && (tensorParallel > 1 || expertParallel > 1))
    throw std::runtime_error(std::string("trainer.strategy fsdp and trainer.") +
                             (tensorParallel > 1 ? "tensor" : "expert") +
                             "_parallel > 1 do not combine yet: choose one");
}

SplitRanks splitRanks(int rank, int world, int size) {
  SplitRanks r;
  for (int i = 0; i < size; ++i) r.split.push_back(rank / size * size + i);
  for (int d = 0; d < world / size; ++d) r.replicas.push_back(d * size + rank % size);
  return r;
}

std::string strategyName(int world, int tensorParallel, int expertParallel, bool fsdp, bool distributed) {
  if (tensorParallel > 1) return world > tensorParallel ? "tp+ddp" : "tp";
  if (expertParallel > 1) return world > expertParallel ? "ep+ddp" : "ep";
  if (fsdp) return "fsdp";
  return distributed ? "ddp" : "single";
}

std::string ParallelPlan::strategy() const {
  return strategyName(dist.world, tensorParallel, expertParallel, fsdp, dist.distributed());
}

namespace {

// The group splitting the model with `plan`'s rank and the group of its replicas (every rank calls it).
std::pair<std::shared_ptr<ProcessGroup>, std::shared_ptr<ProcessGroup>> joinSplit(const ParallelPlan& plan, int size,
                                                                                  const std::string& name) {
  const SplitRanks ranks = splitRanks(plan.dist.rank, plan.dist.world, size);
  return {plan.world->subgroup(ranks.split, name + std::to_string(plan.dist.rank / size)),
          plan.world->subgroup(ranks.replicas, name + "-replicas" + std::to_string(plan.dist.rank % size))};
}

}  // namespace

ParallelPlan ParallelPlan::create(const DistEnv& dist, const TrainerSettings& settings, const torch::Device& device,
                                  std::chrono::milliseconds timeout) {
  ParallelPlan plan;
  plan.dist = dist;
  plan.tensorParallel = settings.tensorParallel;
  plan.expertParallel = settings.expertParallel;
  plan.fsdp = settings.strategy == "fsdp" && dist.distributed();
  checkParallelSettings(dist.world, plan.tensorParallel, plan.expertParallel, plan.fsdp);
  plan.world = ProcessGroup::create(dist, device, timeout);
  plan.dataGroup = plan.world;
  if (plan.tensorParallel > 1) std::tie(plan.tensorGroup, plan.dataGroup) = joinSplit(plan, plan.tensorParallel, "tp");
  // Under expert parallelism every rank has its own data; only the experts are split.
  if (plan.expertParallel > 1)
    std::tie(plan.expertGroup, plan.expertReplicas) = joinSplit(plan, plan.expertParallel, "ep");
  plan.dataRank = dist.rank / plan.tensorParallel;
  plan.dataSize = dist.world / plan.tensorParallel;
  plan.validator = plan.fsdp || dist.rank / plan.splitSize() == 0;
  return plan;
}

}  // namespace reef::engine

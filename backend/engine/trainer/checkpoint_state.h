#pragma once
// A run's checkpoints from the trainer's side: what each rank contributes (the model and the
// optimizer as one process would hold them: split tensors gathered, each rank's FSDP shards
// written beside them), every rank's generator, and resuming from them at any world size.
#include "backend/engine/trainer/checkpoint.h"
#include "backend/engine/trainer/optimizer.h"
#include "backend/engine/trainer/parallel_plan.h"
#include "backend/engine/trainer/parameter_partition.h"
#include "backend/engine/trainer/run_log.h"

#include <map>
#include <optional>
#include <string>

namespace reef::engine {

class CheckpointState {
 public:
  CheckpointState(const ParallelPlan& plan, const ParameterPartition& partition, torch::nn::Module& net,
                  Optimizer& optimizer, const protocol::RunDir& run, const torch::Device& device);

  // The run's latest checkpoint into the model, the optimizer and this rank's generator, and its
  // trainer state into `state` (whose spec hash is kept); its step, or nullopt when the run has
  // none. Throws when it has one but exp.resume is never (`resumeAuto` false).
  std::optional<int64_t> resume(TrainerState& state, bool resumeAuto, RunLog& log);
  // trainer.init_from: another run's or checkpoint's weights. LoRA adapters and the tensors under
  // `heads` (Model::taskHeads) may be missing from it; what it holds that the model lacks is not used.
  void initialiseFrom(const std::string& source, const std::vector<std::string>& heads, RunLog& log);
  // Writes checkpoint state.step: every rank calls it, rank 0 writes, records the optimizer's step
  // count and `monitorValue` in `state`, and applies keep-top-k. On rank 0, the checkpoint event.
  std::optional<Json> save(TrainerState& state, std::optional<double> monitorValue, int64_t keepTopK, bool monitorMax,
                           const std::string& monitor);

 private:
  NamedTensors modelToSave() const;
  NamedTensors optimizerToSave(NamedTensors& unitMoments) const;
  size_t loadModel(const std::map<std::string, torch::Tensor>& whole, const std::string& source,
                   const TensorFilter& mayBeMissing);
  void loadOptimizer(const std::map<std::string, torch::Tensor>& whole, int64_t steps, const std::string& source);
  std::map<std::string, torch::Tensor> ownSlice(const std::map<std::string, torch::Tensor>& whole) const;

  const ParallelPlan& plan_;
  const ParameterPartition& partition_;
  torch::nn::Module& net_;
  Optimizer& optimizer_;
  protocol::RunDir run_;
  torch::Device device_;
  CheckpointStore store_;
  // Generator states are named by the kind of device, not its index: every rank of a multi-GPU
  // job has its own GPU, and rank 0 writes them all ("rng.<kind>" and "rng.<kind>.rank-<r>").
  std::string rngKey_;
};

// The generator state a rank resumes with: its own in a job, else the shared one (one process,
// rank 0 of a job written by fewer ranks). Throws when the checkpoint has none for the device;
// a rank other than 0 without its own gets none and a warning.
struct RngRestore {
  std::optional<torch::Tensor> state;
  std::string warning;
};
RngRestore rngToRestore(const std::map<std::string, torch::Tensor>& tensors, const std::string& key, int rank,
                        bool distributed, int64_t step, const std::string& device);

}  // namespace reef::engine

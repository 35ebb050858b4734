#pragma once
// Checkpoints: checkpoints/step-<N>/{model.safetensors, trainer_state.safetensors,
// trainer_state.json}, and for FSDP every rank's shards beside them (fsdp-layout.json,
// fsdp-rank-<r>.safetensors). A checkpoint is written into a temporary folder, synced to disk and
// renamed into place, so a crash while writing leaves every earlier checkpoint valid.
#include "backend/engine/core/data_loader.h"
#include "backend/engine/core/model.h"
#include "backend/engine/core/tensor_io.h"
#include "backend/protocol/run_dir.h"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace reef::engine {

// Everything besides tensors that a bit-exact resume needs (trainer_state.json).
struct TrainerState {
  int64_t step = 0;            // optimizer steps taken
  DataPosition position;       // next training batch
  int64_t optimizerSteps = 0;  // the optimizer's own count (bias correction)
  int64_t samplesSeen = 0;
  double trainSeconds = 0;             // wall time spent training, over all sessions of the run
  std::optional<double> monitorValue;  // exp.monitor at this checkpoint
  std::optional<double> bestMonitor;
  int64_t validationsWithoutImprovement = 0;
  MetricMap lastValidation;
  std::string specHash;

  Json toJson() const;
  static TrainerState fromJson(const Json& json, const std::string& source);
};

struct LoadedCheckpoint {
  int64_t step = 0;
  TrainerState state;
  std::map<std::string, torch::Tensor> weights;
  std::map<std::string, torch::Tensor> trainerTensors;  // optimizer moments, RNG state
};

class CheckpointStore {
 public:
  explicit CheckpointStore(protocol::RunDir run) : run_(std::move(run)) {}

  // Writes checkpoint `state.step` and returns its folder.
  std::filesystem::path save(const TrainerState& state, const NamedTensors& weights,
                             const NamedTensors& trainerTensors) const;
  // The same in two parts, for files that other ranks write meanwhile: openStaging() empties the
  // temporary folder, the ranks write into staging(), then commit() adds these files and renames it.
  std::filesystem::path staging(int64_t step) const;
  void openStaging(int64_t step) const;
  std::filesystem::path commit(const TrainerState& state, const NamedTensors& weights,
                               const NamedTensors& trainerTensors) const;
  std::optional<int64_t> latest() const;
  std::optional<int64_t> best(bool monitorMax) const;
  // Reads and validates a checkpoint (an FSDP one reassembled from its shards, so any world size
  // resumes it); errors name the file and how to recover.
  LoadedCheckpoint load(int64_t step) const;
  // Deletes temporary folders left by a save that was interrupted.
  void removeIncomplete() const;
  // Keeps the keepTopK checkpoints with the best monitor value plus the latest one; keepTopK < 0
  // keeps all. Returns the steps deleted.
  std::vector<int64_t> applyRetention(int64_t keepTopK, bool monitorMax) const;

 private:
  std::optional<double> monitorOf(int64_t step) const;
  protocol::RunDir run_;
};

// The model tensors of a checkpoint's model.safetensors, with an FSDP checkpoint's parameters
// reassembled from every rank's shards beside it: the whole model, whoever wrote it.
std::map<std::string, torch::Tensor> loadCheckpointWeights(const std::filesystem::path& modelFile);

// One checkpoint of a run, named the way people name it on the command line.
struct CheckpointRef {
  protocol::RunDir run{""};
  int64_t step = 0;
  std::filesystem::path weights() const { return run.checkpoint(step) / "model.safetensors"; }
};

// `target` is a run directory or a checkpoints/step-<N> folder in one; for a run directory,
// `which` picks "best" (by the run's exp.monitor), "last", or a step number. Errors say what is
// missing and what to do.
CheckpointRef findCheckpoint(const std::string& target, const std::string& which);

}  // namespace reef::engine

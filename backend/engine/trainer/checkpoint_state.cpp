#include "backend/engine/trainer/checkpoint_state.h"

#include "backend/engine/core/lora.h"
#include "backend/engine/core/torch_compat.h"

#include <algorithm>

namespace reef::engine {

RngRestore rngToRestore(const std::map<std::string, torch::Tensor>& tensors, const std::string& key, int rank,
                        bool distributed, int64_t step, const std::string& device) {
  const auto own = tensors.find(key + ".rank-" + std::to_string(rank));
  if (distributed && own != tensors.end()) return {own->second, ""};
  const auto shared = tensors.find(key);
  if (shared == tensors.end())
    throw std::runtime_error("checkpoint step-" + std::to_string(step) + " has no RNG state for " + device +
                             " (was it written on another kind of device?)");
  if (rank == 0) return {shared->second, ""};
  return {std::nullopt, "checkpoint step-" + std::to_string(step) + " has no generator state for rank " +
                            std::to_string(rank) +
                            " (written by fewer ranks): its dropout continues from a fresh stream"};
}

CheckpointState::CheckpointState(const ParallelPlan& plan, const ParameterPartition& partition, torch::nn::Module& net,
                                 Optimizer& optimizer, const protocol::RunDir& run, const torch::Device& device)
    : plan_(plan),
      partition_(partition),
      net_(net),
      optimizer_(optimizer),
      run_(run),
      device_(device),
      store_(run),
      rngKey_(std::string("rng.") + (device.is_cuda() ? "cuda" : device.str())) {
  if (plan_.rank0()) store_.removeIncomplete();
}

// Checkpoints hold the whole model; each rank of a splitting group keeps its slice.
std::map<std::string, torch::Tensor> CheckpointState::ownSlice(
    const std::map<std::string, torch::Tensor>& whole) const {
  return partition_.splitSize() > 1 ? sliceShards(whole, partition_.layout(), plan_.splitGroup()) : whole;
}

// The model's tensors as one process holds them, less FSDP's units (every rank writes its own
// shards of those). Every rank of a split model calls this.
NamedTensors CheckpointState::modelToSave() const {
  NamedTensors whole;
  for (auto& [name, t] : moduleState(net_))
    if (!partition_.inUnit(name)) whole.emplace_back(name, t);
  return partition_.splitSize() > 1 ? gatherShards(whole, partition_.layout(), plan_.splitGroup()) : whole;
}

// The same for the optimizer's state; the units' moments ("<unit>.flat.<slot>") go to `unitMoments`.
NamedTensors CheckpointState::optimizerToSave(NamedTensors& unitMoments) const {
  NamedTensors whole;
  for (auto& [name, t] : optimizer_.state()) (partition_.unitOfShard(name) ? unitMoments : whole).emplace_back(name, t);
  return partition_.splitSize() > 1 ? gatherShards(whole, partition_.layout(), plan_.splitGroup()) : whole;
}

size_t CheckpointState::loadModel(const std::map<std::string, torch::Tensor>& whole, const std::string& source,
                                  const TensorFilter& mayBeMissing) {
  std::map<std::string, torch::Tensor> rest;
  for (const auto& [name, t] : ownSlice(whole))
    if (!partition_.inUnit(name)) rest.emplace(name, t);
  size_t loaded = 0;
  for (auto* u : partition_.units()) {
    u->loadFull(whole, source);
    loaded += u->layout().size();
  }
  return loaded + loadModuleState(net_, rest, source, [&](const std::string& name) {
           return partition_.inUnit(name) || (mayBeMissing && mayBeMissing(name));
         });
}

void CheckpointState::loadOptimizer(const std::map<std::string, torch::Tensor>& whole, int64_t steps,
                                    const std::string& source) {
  std::map<std::string, torch::Tensor> own = ownSlice(whole);
  for (auto* u : partition_.units())
    for (const char* slot : {".momentum", ".exp_avg", ".exp_avg_sq"})
      if (own.count(u->name() + "." + u->layout().front().first + slot))
        own[u->name() + ".flat" + slot] = u->sliceFlat(own, slot, source);
  optimizer_.loadState(own, steps, source);
}

std::optional<int64_t> CheckpointState::resume(TrainerState& state, bool resumeAuto, RunLog& log) {
  const auto latest = store_.latest();
  if (!latest) return std::nullopt;
  if (!resumeAuto)
    throw std::runtime_error("'" + run_.root().string() +
                             "' already has checkpoints and exp.resume is never: "
                             "train into a new run directory, or set exp.resume=auto to continue this run");
  LoadedCheckpoint ckpt = store_.load(*latest);
  loadModel(ckpt.weights, (run_.checkpoint(*latest) / "model.safetensors").string(), nullptr);
  loadOptimizer(ckpt.trainerTensors, ckpt.state.optimizerSteps,
                (run_.checkpoint(*latest) / "trainer_state.safetensors").string());
  const RngRestore rng =
      rngToRestore(ckpt.trainerTensors, rngKey_, plan_.dist.rank, plan_.dist.distributed(), *latest, device_.str());
  if (rng.state) compat::setRngState(device_, *rng.state);
  if (!rng.warning.empty()) log.warn(rng.warning);
  if (ckpt.state.specHash != state.specHash)
    log.warn("the spec differs from the one checkpoint step-" + std::to_string(*latest) +
             " was trained with; continuing with the new spec");
  const std::string hash = state.specHash;
  state = ckpt.state;
  state.specHash = hash;
  return latest;
}

namespace {

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

void CheckpointState::initialiseFrom(const std::string& source, const std::vector<std::string>& heads, RunLog& log) {
  const CheckpointRef ref = findCheckpoint(source, "best");
  std::map<std::string, torch::Tensor> whole = loadCheckpointWeights(ref.weights());
  const auto isHead = [&heads](const std::string& name) {
    return std::any_of(heads.begin(), heads.end(), [&](const std::string& h) { return name.rfind(h, 0) == 0; });
  };
  std::map<std::string, torch::Tensor> own;
  for (const auto& [name, t] : moduleState(net_)) own.emplace(name, t);
  // The source's tensors this model lacks (a pretraining head), and this model's heads that the
  // source lacks or holds in another shape (another number of classes), are left out.
  std::vector<std::string> unused, fresh;
  for (auto it = whole.begin(); it != whole.end();) {
    const auto mine = own.find(it->first);
    const bool drop = mine == own.end() || (isHead(it->first) && mine->second.sizes() != it->second.sizes());
    if (mine == own.end()) unused.push_back(it->first);
    it = drop ? whole.erase(it) : std::next(it);
  }
  for (const auto& [name, t] : own)
    if (isHead(name) && !whole.count(name)) fresh.push_back(name);
  const size_t loaded = loadModel(whole, ref.weights().string(),
                                  [&](const std::string& name) { return isAdapterTensor(name) || isHead(name); });
  std::string line = "initialised " + std::to_string(loaded) + " of " + std::to_string(own.size()) + " tensors from " +
                     ref.weights().string();
  if (!fresh.empty()) line += "; new for this task: " + joined(fresh);
  if (!unused.empty()) line += "; not used: " + joined(unused);
  log.info(line);
}

std::optional<Json> CheckpointState::save(TrainerState& state, std::optional<double> monitorValue, int64_t keepTopK,
                                          bool monitorMax, const std::string& monitor) {
  const ProcessGroup& group = *plan_.world;
  NamedTensors unitMoments;
  NamedTensors weights = modelToSave(), trainerTensors = optimizerToSave(unitMoments);
  if (plan_.fsdp) {  // each rank writes its shards into the checkpoint's folder before rank 0 commits it
    if (plan_.rank0()) store_.openStaging(state.step);
    plan_.world->barrier();
    saveShardedState(store_.staging(state.step), partition_.units(), group, unitMoments);
    plan_.world->barrier();
  }
  // Every rank's generator, so that each one's dropout continues exactly after a resume.
  const torch::Tensor rng = compat::rngState(device_);
  const int world = plan_.dist.world;
  const torch::Tensor ranksRng =
      plan_.dist.distributed() ? plan_.world->allGather(rng.to(device_)).cpu().view({world, -1}) : torch::Tensor();
  if (!plan_.rank0()) return std::nullopt;
  state.optimizerSteps = optimizer_.steps();
  state.monitorValue = monitorValue;
  trainerTensors.emplace_back(rngKey_, rng);
  for (int r = 0; r < (plan_.dist.distributed() ? world : 0); ++r)
    trainerTensors.emplace_back(rngKey_ + ".rank-" + std::to_string(r), ranksRng[r].clone());
  const auto dir =
      plan_.fsdp ? store_.commit(state, weights, trainerTensors) : store_.save(state, weights, trainerTensors);
  const auto removed = store_.applyRetention(keepTopK, monitorMax);
  return Json{{"step", state.step},
              {"path", std::filesystem::relative(dir, run_.root()).string()},
              {"monitor", monitor},
              {"value", monitorValue ? Json(*monitorValue) : Json()},
              {"removed_steps", removed}};
}

}  // namespace reef::engine

#include "trainer/trainer.h"

#include "core/data_loader.h"
#include "core/data_settings.h"
#include "core/lora.h"
#include "core/runtime.h"
#include "parallel/data_parallel.h"
#include "parallel/dist_env.h"
#include "parallel/fully_sharded.h"
#include "parallel/mixture_of_experts.h"
#include "parallel/process_group.h"
#include "parallel/tensor_parallel.h"
#include "core/torch_compat.h"
#include "protocol/number_format.h"
#include "protocol/spec.h"
#include "trainer/checkpoint.h"
#include "trainer/evaluate.h"
#include "trainer/lr_schedule.h"
#include "trainer/optimizer.h"
#include "trainer/progress.h"
#include "trainer/run_log.h"
#include "trainer/settings.h"
#include "trainer/stop_signal.h"
#include "trainer/system_stats.h"
#include "version.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <sstream>
#include <tuple>

namespace reef::engine {

namespace {

using Clock = std::chrono::steady_clock;

std::string hostName() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

Json prefixed(const MetricMap& metrics, const std::string& prefix) {
  Json values = Json::object();
  for (const auto& [k, v] : metrics) values[prefix + k] = v;
  return values;
}

std::string summary(const MetricMap& metrics, const std::string& prefix) {
  std::ostringstream out;
  out.precision(4);
  bool first = true;
  for (const auto& [k, v] : metrics) {
    out << (first ? "" : "  ") << prefix << k << " " << v;
    first = false;
  }
  return out.str();
}

}  // namespace

torch::Device pickDevice(const std::string& accelerator) {
  if (accelerator == "cuda") {
    if (!compat::cudaAvailable())
      throw std::runtime_error("trainer.accelerator is cuda but this LibTorch sees no CUDA device; "
                               "use accelerator: cpu (or auto)");
    return torch::Device(torch::kCUDA, 0);
  }
  if (accelerator == "auto" && compat::cudaAvailable()) return torch::Device(torch::kCUDA, 0);
  return torch::kCPU;
}

Trainer::Trainer(const Registry& registry, protocol::RunDir run, Json spec, protocol::EventWriter* events,
                 bool interactive)
    : registry_(registry), run_(std::move(run)), spec_(std::move(spec)), events_(events),
      interactive_(interactive) {}

TrainResult Trainer::run() {
  const RunSettings settings = RunSettings::fromSpec(spec_);
  const DataSettings data = DataSettings::fromSpec(spec_);
  const TrainerSettings& ts = settings.trainer;
  const ExpSettings& exp = settings.exp;
  const DistEnv dist = DistEnv::fromEnvironment();
  const bool rank0 = dist.rank == 0;
  auto emit = [&](const std::string& type, const Json& fields) {
    if (events_) events_->write(type, fields);
  };
  RunLog log(run_.rankLog(dist.rank), events_, dist.rank);

  const int threads = configureRuntime(ts.threads);
  torch::Device device = pickDevice(ts.accelerator);
  if (device.is_cuda()) device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(dist.localRank));
  // The rank's GPU is the current device for the whole run: NCCL and CUDA's default generator use it.
  std::optional<c10::DeviceGuard> onDevice;
  if (device.is_cuda()) onDevice.emplace(device);
  const bool bf16 = ts.precision == "bf16-mixed";
  // Generator states are named by the kind of device, not its index: every rank of a multi-GPU
  // job has its own GPU, and rank 0 writes them all.
  const std::string rngKey = std::string("rng.") + (device.is_cuda() ? "cuda" : device.str());
  // Collectives wait long enough for rank 0 to validate and checkpoint; a dead rank is noticed by
  // the launcher (or Slurm), which ends the others.
  auto group = ProcessGroup::create(dist, device, std::chrono::minutes(30));
  const int tp = ts.tensorParallel, ep = ts.expertParallel;
  for (const auto& [key, size] : {std::make_pair("tensor_parallel", tp), std::make_pair("expert_parallel", ep)})
    if (dist.world % size != 0)
      throw std::runtime_error(std::string("trainer.") + key + " (" + std::to_string(size) + ") must divide the number of ranks (" +
                               std::to_string(dist.world) + "): launch a multiple of it, e.g. reef launch --nproc " +
                               std::to_string(size));
  if (tp > 1 && ep > 1)
    throw std::runtime_error("trainer.tensor_parallel and trainer.expert_parallel (both > 1) do not combine yet: choose one");
  // Consecutive ranks form a group that splits the model (tp x dp, ep x dp); ranks with the same
  // position in their groups hold the same shards and average their gradients.
  const auto splitGroups = [&](int size, const std::string& name) {
    std::vector<int> splitRanks, replicaRanks;
    for (int r = 0; r < size; ++r) splitRanks.push_back(dist.rank / size * size + r);
    for (int d = 0; d < dist.world / size; ++d) replicaRanks.push_back(d * size + dist.rank % size);
    return std::make_pair(group->subgroup(splitRanks, name + std::to_string(dist.rank / size)),
                          group->subgroup(replicaRanks, name + "-replicas" + std::to_string(dist.rank % size)));
  };
  std::shared_ptr<ProcessGroup> tpGroup, dpGroup = group, epGroup, expertReplicas;
  if (tp > 1) std::tie(tpGroup, dpGroup) = splitGroups(tp, "tp");
  // Under expert parallelism every rank has its own data; only the experts are split.
  if (ep > 1) std::tie(epGroup, expertReplicas) = splitGroups(ep, "ep");
  const int dpRank = dist.rank / tp, dpSize = dist.world / tp;
  const bool fsdp = ts.strategy == "fsdp" && dist.distributed();
  if (fsdp && (tp > 1 || ep > 1))
    throw std::runtime_error(std::string("trainer.strategy fsdp and trainer.") + (tp > 1 ? "tensor" : "expert") +
                             "_parallel > 1 do not combine yet: choose one");
  // The ranks of the first model-splitting group validate together (each forward under tensor or
  // expert parallelism or FSDP needs all of them); every rank takes part in checkpoints; rank 0
  // writes and reports.
  const bool validator = fsdp || dist.rank / std::max(tp, ep) == 0;
  torch::manual_seed(exp.seed);  // the same initial weights on every rank

  auto model = registry_.create({spec_, resolveDataRoot(data), tpGroup, epGroup});
  const std::string modelName = spec_["model"]["collection"].get<std::string>() + "/" + spec_["model"]["arch"].get<std::string>();
  if (tp > 1 && !model->supportsTensorParallel())
    throw std::runtime_error("model " + modelName + " has no tensor-parallel layers: set trainer.tensor_parallel: 1 (data parallel)");
  if (ep > 1 && !model->supportsExpertParallel())
    throw std::runtime_error("model " + modelName +
                             " has no experts to split: set trainer.expert_parallel: 1, or train a mixture of experts (llm/mixtral)");
  model->to(device);
  torch::nn::Module& net = model->module();
  std::vector<FullyShardedUnit*> units;
  if (fsdp) {
    units = model->shardFully(group);
    if (units.empty())
      throw std::runtime_error("model " + spec_["model"]["collection"].get<std::string>() + "/" +
                               spec_["model"]["arch"].get<std::string>() +
                               " has no blocks to shard: set trainer.strategy: ddp");
  }
  // Parameters inside FSDP units exist only while gathered; the units' flat shards stand for them.
  auto inUnit = [&](const std::string& name) {
    for (const auto* u : units)
      if (name.compare(0, u->name().size() + 1, u->name() + ".") == 0) return true;
    return false;
  };
  auto unitOfShard = [&](const std::string& name) -> FullyShardedUnit* {
    for (auto* u : units)
      if (name.compare(0, u->name().size() + 6, u->name() + ".flat.") == 0 || name == u->name() + ".flat") return u;
    return nullptr;
  };
  if (dist.distributed()) torch::manual_seed(exp.seed + 7919 * static_cast<uint64_t>(dist.rank));  // own dropout per rank
  auto trainSet = model->dataset(Split::Train);
  auto valSet = model->dataset(Split::Val);
  const bool hasVal = valSet && valSet->size() > 0;

  DataLoader loader(trainSet, {data.batchSize, /*shuffle=*/true, /*dropLast=*/true, exp.seed, data.workers, 2, dpRank,
                               dpSize});
  const int64_t stepsPerEpoch = std::max<int64_t>(1, loader.batchesPerEpoch() / ts.accumulate);
  const int64_t totalSteps = ts.maxSteps > 0 ? ts.maxSteps : ts.maxEpochs * stepsPerEpoch;
  const int64_t valInterval = ts.valInterval > 0 ? ts.valInterval : stepsPerEpoch;
  const int64_t checkpointInterval = exp.checkpointInterval > 0 ? exp.checkpointInterval : valInterval;

  // Tensors split across a group (tensor-parallel layers, experts), and how.
  const TensorParallelLayout layout =
      tp > 1 ? tensorParallelLayout(net) : ep > 1 ? expertParallelLayout(net) : TensorParallelLayout{};
  const std::shared_ptr<ProcessGroup> splitGroup = tp > 1 ? tpGroup : epGroup;
  const int splitSize = std::max(tp, ep);
  // What the optimizer updates; what DDP averages over dpGroup; experts, averaged over their replicas.
  NamedTensors parameters, replicated, experts;
  for (const auto& p : net.named_parameters(true))
    if (!inUnit(p.key())) (ep > 1 && splitDimension(layout, p.key()) >= 0 ? experts : replicated).emplace_back(p.key(), p.value());
  parameters = replicated;
  parameters.insert(parameters.end(), experts.begin(), experts.end());
  for (auto* u : units) parameters.emplace_back(u->name() + ".flat", u->shard());
  int64_t parameterCount = 0, trainableCount = 0;  // of the whole model
  for (const auto& [name, p] : parameters) {
    if (unitOfShard(name)) continue;
    const int64_t n = p.numel() * (splitDimension(layout, name) >= 0 ? splitSize : 1);
    parameterCount += n;
    if (p.requires_grad()) trainableCount += n;
  }
  for (const auto* u : units) {
    parameterCount += u->numel();
    trainableCount += u->numel();
  }
  Optimizer optimizer(parameters, settings.optim);
  for (auto* u : units) optimizer.setDecayMask(u->name() + ".flat", u->matrixMask());
  if (fsdp) optimizer.setSharded(group, [&](const std::string& name) { return unitOfShard(name) != nullptr; });
  if (splitSize > 1)
    optimizer.setSharded(splitGroup, [&](const std::string& name) { return splitDimension(layout, name) >= 0; });
  // Checkpoints hold the whole model; each rank of a splitting group loads its slice.
  auto ownSlice = [&](const std::map<std::string, torch::Tensor>& whole) {
    return splitSize > 1 ? sliceShards(whole, layout, splitGroup) : whole;
  };
  // What a checkpoint holds of the model: its tensors as one process holds them, less FSDP's units
  // (every rank writes its own shards of those). Every rank of a split model calls this.
  auto modelStateToSave = [&]() {
    NamedTensors whole;
    for (auto& [name, t] : moduleState(net))
      if (!inUnit(name)) whole.emplace_back(name, t);
    return splitSize > 1 ? gatherShards(whole, layout, splitGroup) : whole;
  };
  // The same for the optimizer's state; the units' moments ("<unit>.flat.<slot>") go to `shards`.
  auto optimizerStateToSave = [&](NamedTensors& shards) {
    NamedTensors whole;
    for (auto& [name, t] : optimizer.state()) (unitOfShard(name) ? shards : whole).emplace_back(name, t);
    return splitSize > 1 ? gatherShards(whole, layout, splitGroup) : whole;
  };
  auto loadWholeModel = [&](const std::map<std::string, torch::Tensor>& whole, const std::string& source,
                            const TensorFilter& mayBeMissing) {
    std::map<std::string, torch::Tensor> rest;
    for (const auto& [name, t] : ownSlice(whole))
      if (!inUnit(name)) rest.emplace(name, t);
    size_t loaded = 0;
    for (auto* u : units) {
      u->loadFull(whole, source);
      loaded += u->layout().size();
    }
    return loaded + loadModuleState(net, rest, source, [&](const std::string& name) {
      return inUnit(name) || (mayBeMissing && mayBeMissing(name));
    });
  };
  auto loadWholeOptimizer = [&](const std::map<std::string, torch::Tensor>& whole, int64_t steps, const std::string& source) {
    std::map<std::string, torch::Tensor> own = ownSlice(whole);
    for (auto* u : units)
      for (const char* slot : {".momentum", ".exp_avg", ".exp_avg_sq"})
        if (own.count(u->name() + "." + u->layout().front().first + slot))
          own[u->name() + ".flat" + slot] = u->sliceFlat(own, slot, source);
    optimizer.loadState(own, steps, source);
  };
  const LrSchedule schedule(settings.optim, totalSteps);
  std::unique_ptr<DataParallel> ddp, expertDdp;
  if (dpSize > 1) {
    ddp = std::make_unique<DataParallel>(dpGroup, replicated);
    NamedTensors state;
    for (auto& [name, t] : moduleState(net))
      if (!inUnit(name) && !(ep > 1 && splitDimension(layout, name) >= 0)) state.emplace_back(name, t);
    ddp->broadcastFrom0(state);
  }
  if (expertReplicas && expertReplicas->size() > 1) {
    expertDdp = std::make_unique<DataParallel>(expertReplicas, experts);
    expertDdp->broadcastFrom0(experts);
  }

  CheckpointStore store(run_);
  if (rank0) store.removeIncomplete();
  TrainerState state;
  state.specHash = protocol::specHash(spec_);
  std::optional<int64_t> resumedFrom;
  if (auto latest = store.latest()) {
    if (!exp.resumeAuto)
      throw std::runtime_error("'" + run_.root().string() + "' already has checkpoints and exp.resume is never: "
                               "train into a new run directory, or set exp.resume=auto to continue this run");
    LoadedCheckpoint ckpt = store.load(*latest);
    loadWholeModel(ckpt.weights, (run_.checkpoint(*latest) / "model.safetensors").string(), nullptr);
    loadWholeOptimizer(ckpt.trainerTensors, ckpt.state.optimizerSteps,
                       (run_.checkpoint(*latest) / "trainer_state.safetensors").string());
    // Rank r's generator is "rng.<kind>.rank-<r>"; one process's (and rank 0's) is "rng.<kind>".
    const auto own = ckpt.trainerTensors.find(rngKey + ".rank-" + std::to_string(dist.rank));
    const auto shared = ckpt.trainerTensors.find(rngKey);
    if (dist.distributed() && own != ckpt.trainerTensors.end()) {
      compat::setRngState(device, own->second);
    } else if (shared == ckpt.trainerTensors.end()) {
      throw std::runtime_error("checkpoint step-" + std::to_string(*latest) + " has no RNG state for " + device.str() +
                               " (was it written on another kind of device?)");
    } else if (rank0) {
      compat::setRngState(device, shared->second);
    } else {
      log.warn("checkpoint step-" + std::to_string(*latest) + " has no generator state for rank " + std::to_string(dist.rank) +
               " (written by fewer ranks): its dropout continues from a fresh stream");
    }
    if (ckpt.state.specHash != state.specHash)
      log.warn("the spec differs from the one checkpoint step-" + std::to_string(*latest) +
               " was trained with; continuing with the new spec");
    const std::string hash = state.specHash;
    state = ckpt.state;
    state.specHash = hash;
    resumedFrom = *latest;
    loader.seek(state.position);
  } else if (!ts.initFrom.empty()) {
    const CheckpointRef source = findCheckpoint(ts.initFrom, "best");
    const auto own = moduleState(net);
    const size_t loaded = loadWholeModel(loadCheckpointWeights(source.weights()), source.weights().string(),
                                         [](const std::string& name) { return isAdapterTensor(name); });
    log.info("initialised " + std::to_string(loaded) + " of " + std::to_string(own.size()) + " tensors from " +
             source.weights().string());
  }

  // Model FLOPs utilisation: the model's FLOPs per token against this machine's matmul rate.
  const double flopsPerToken = model->trainingFlopsPerToken();
  const double peakGflops = flopsPerToken > 0 ? matmulGflops(device, bf16 ? torch::kBFloat16 : torch::kFloat32) : 0;
  Json runStarted = {{"run_id", run_.root().filename().string()},
                     {"name", exp.name},
                     {"spec_hash", state.specHash},
                     {"host", hostName()},
                     {"pid", static_cast<int64_t>(::getpid())},
                     {"world_size", dist.world},
                     {"rank", dist.rank},
                     {"strategy", tp > 1   ? (dpSize > 1 ? "tp+ddp" : "tp")
                                  : ep > 1 ? (dist.world > ep ? "ep+ddp" : "ep")
                                  : fsdp   ? "fsdp"
                                  : dist.distributed() ? "ddp"
                                                       : "single"},
                     {"tensor_parallel", tp},
                     {"expert_parallel", ep},
                     {"backend", group->backend()},
                     {"devices", Json::array({device.str()})},
                     {"threads", threads},
                     {"engine_version", REEF_VERSION},
                     {"torch_version", TORCH_VERSION},
                     {"parameters", parameterCount},
                     {"trainable_parameters", trainableCount},
                     {"init_from", ts.initFrom.empty() ? Json() : Json(ts.initFrom)},
                     {"total_steps", totalSteps},
                     {"steps_per_epoch", stepsPerEpoch},
                     {"peak_matmul_gflops", peakGflops},
                     {"resumed_from_step", resumedFrom ? Json(*resumedFrom) : Json()}};
  emit("run_started", runStarted);
  log.info("training " + spec_["model"]["collection"].get<std::string>() + "/" +
           spec_["model"]["arch"].get<std::string>() + " (" + std::to_string(parameterCount) + " parameters) for " +
           std::to_string(totalSteps) + " steps on " + device.str() + " with " + std::to_string(threads) +
           " threads" + (resumedFrom ? ", resumed from step " + std::to_string(*resumedFrom) : ""));

  Progress progress(dist.distributed() ? "train[rank " + std::to_string(dist.rank) + "]" : "train", totalSteps,
                    interactive_ && rank0);
  log.setConsole([&](const std::string& line) { progress.message(line); });
  installStopHandlers();
  SystemStats system;
  auto lastSystem = Clock::now();

  std::optional<int64_t> checkpointedStep = resumedFrom;
  auto checkpoint = [&](std::optional<double> monitorValue) {  // (every rank calls it; rank 0 writes)
    checkpointedStep = state.step;
    NamedTensors shardMoments;
    NamedTensors weights = modelStateToSave(), trainerTensors = optimizerStateToSave(shardMoments);
    if (fsdp) {  // each rank writes its shards into the checkpoint's folder before rank 0 commits it
      if (rank0) store.openStaging(state.step);
      group->barrier();
      saveShardedState(store.staging(state.step), units, *group, shardMoments);
      group->barrier();
    }
    // Every rank's generator, so that each one's dropout continues exactly after a resume.
    const torch::Tensor rng = compat::rngState(device);
    const torch::Tensor ranksRng = dist.distributed() ? group->allGather(rng.to(device)).cpu().view({dist.world, -1}) : torch::Tensor();
    if (!rank0) return;
    state.optimizerSteps = optimizer.steps();
    state.monitorValue = monitorValue;
    trainerTensors.emplace_back(rngKey, rng);
    for (int r = 0; r < (dist.distributed() ? dist.world : 0); ++r)
      trainerTensors.emplace_back(rngKey + ".rank-" + std::to_string(r), ranksRng[r].clone());
    const auto dir = fsdp ? store.commit(state, weights, trainerTensors) : store.save(state, weights, trainerTensors);
    const auto removed = store.applyRetention(exp.keepTopK, exp.monitorMax);
    emit("checkpoint", {{"step", state.step},
                                {"path", std::filesystem::relative(dir, run_.root()).string()},
                                {"monitor", exp.monitor},
                                {"value", monitorValue ? Json(*monitorValue) : Json()},
                                {"removed_steps", removed}});
  };

  auto validate = [&]() -> std::optional<double> {
    EvalOptions options{data.evalBatchSize, data.workers, ts.limitValBatches, device, bf16, std::nullopt, ""};
    const auto started = Clock::now();
    const MetricMap metrics = evaluate(*model, Split::Val, options).metrics;
    state.lastValidation = metrics;
    Json values = prefixed(metrics, "val/");
    values["perf/val_seconds"] = secondsSince(started);
    emit("metric", {{"step", state.step}, {"values", values}});
    if (rank0) progress.message("step " + std::to_string(state.step) + "  " + summary(metrics, "val/"));
    if (!values.contains(exp.monitor)) {
      std::string known;
      for (const auto& [k, v] : values.items()) known += (known.empty() ? "" : ", ") + k;
      throw protocol::SpecError("spec", {{"exp.monitor", "'" + exp.monitor +
                                                             "' is not a metric this model reports; validation reports " + known}});
    }
    const double value = values[exp.monitor].get<double>();
    const bool improved = !state.bestMonitor ||
                          (exp.monitorMax ? value > *state.bestMonitor + ts.earlyStoppingMinDelta
                                          : value < *state.bestMonitor - ts.earlyStoppingMinDelta);
    if (improved) {
      state.bestMonitor = value;
      state.validationsWithoutImprovement = 0;
    } else {
      ++state.validationsWithoutImprovement;
    }
    return value;
  };

  net.train();
  bool cancelled = false;
  bool stoppedEarly = false;
  double intervalLoss = 0;
  int64_t intervalSteps = 0, intervalSamples = 0, intervalTokens = 0;
  auto intervalStart = Clock::now();
  auto sessionStart = Clock::now();
  const double trainSecondsBefore = state.trainSeconds;
  double lastLoss = NAN;

  while (state.step < totalSteps) {
    if (!dist.distributed() && stopRequested()) {  // (a job decides together, after each step)
      cancelled = true;
      break;
    }
    double stepLoss = 0;
    for (int64_t micro = 0; micro < ts.accumulate; ++micro) {
      if (ddp) ddp->setSync(micro + 1 == ts.accumulate);
      if (expertDdp) expertDdp->setSync(micro + 1 == ts.accumulate);
      Batch batch = loader.next().to(device);
      torch::Tensor loss;
      {
        AutocastScope autocast(bf16, device);
        loss = model->trainingStep(batch);
      }
      if (ts.accumulate > 1) loss = loss / static_cast<double>(ts.accumulate);
      loss.backward();
      stepLoss += loss.item<double>();
      intervalSamples += batch.size;
      intervalTokens += batch.tokens;
      state.samplesSeen += batch.size;
    }
    if (ddp) ddp->finishGradients();
    if (expertDdp) expertDdp->finishGradients();
    // An expert's gradient holds the tokens of its whole expert-parallel group (they came to it by
    // all-to-all): averaged like the rest over all ranks, it is divided by the group size too.
    for (auto& [name, p] : experts)
      if (p.grad().defined()) p.mutable_grad().div_(ep);
    if (!std::isfinite(stepLoss))
      throw std::runtime_error("the training loss became " + std::to_string(stepLoss) + " at step " +
                               std::to_string(state.step + 1) +
                               ": lower optim.lr, add warm-up (optim.warmup_steps) or set trainer.gradient_clip_norm");
    const bool logNow = (state.step + 1) % ts.logInterval == 0 || state.step + 1 == totalSteps;
    double gradNorm = NAN;
    if (ts.gradientClipNorm > 0)
      gradNorm = optimizer.clipGradNorm(ts.gradientClipNorm);
    else if (logNow)
      gradNorm = optimizer.gradNorm();
    const double lr = schedule.at(state.step);
    optimizer.step(lr);
    optimizer.zeroGrad();
    ++state.step;
    state.position = loader.position();
    intervalLoss += stepLoss;
    ++intervalSteps;
    lastLoss = stepLoss;

    const double epoch = static_cast<double>(state.position.epoch) +
                         static_cast<double>(state.position.batch) / static_cast<double>(loader.batchesPerEpoch());
    char detail[160];
    std::snprintf(detail, sizeof detail, "epoch %.2f | loss %.4f", epoch, lastLoss);
    progress.update(state.step, detail);

    if (logNow) {
      const double seconds = secondsSince(intervalStart);
      if (dist.distributed()) {  // the loss of the global batch, and the samples of every rank
        torch::Tensor sums = torch::tensor({intervalLoss, static_cast<double>(intervalSamples), static_cast<double>(intervalTokens)},
                                           torch::kFloat64);
        group->allReduceSum(sums);
        intervalLoss = sums[0].item<double>() / dist.world;
        intervalSamples = static_cast<int64_t>(sums[1].item<double>()) / tp;  // a tensor-parallel group shares its batch
        intervalTokens = static_cast<int64_t>(sums[2].item<double>()) / tp;
      }
      Json values = {{"train/loss", intervalLoss / static_cast<double>(intervalSteps)},
                     {"train/lr", lr},
                     {"train/grad_norm", gradNorm},
                     {"train/epoch", epoch},
                     {"perf/samples_per_s", static_cast<double>(intervalSamples) / seconds},
                     {"perf/step_ms", 1000.0 * seconds / static_cast<double>(intervalSteps)}};
      if (intervalTokens > 0) {
        const double tokensPerSecond = static_cast<double>(intervalTokens) / seconds;
        values["perf/tokens_per_s"] = tokensPerSecond;
        if (flopsPerToken > 0) {
          values["perf/model_gflops"] = tokensPerSecond * flopsPerToken / 1e9;
          values["perf/mfu"] = tokensPerSecond * flopsPerToken / 1e9 / (peakGflops * dist.world);
        }
      }
      emit("metric", {{"step", state.step}, {"values", values}});
      intervalLoss = 0;
      intervalSteps = intervalSamples = intervalTokens = 0;
      intervalStart = Clock::now();
    }
    if (secondsSince(lastSystem) >= 30) {
      emit("system", system.sample());
      lastSystem = Clock::now();
    }

    const bool last = state.step == totalSteps;
    std::optional<double> monitorValue;
    if (validator && hasVal && (state.step % valInterval == 0 || last)) {
      const auto validationStart = Clock::now();
      monitorValue = validate();
      intervalStart += Clock::now() - validationStart;  // throughput counts training time only
      if (ts.earlyStoppingPatience > 0 && state.validationsWithoutImprovement >= ts.earlyStoppingPatience) {
        stoppedEarly = true;
        log.info("early stopping at step " + std::to_string(state.step) + ": " + exp.monitor + " has not improved for " +
                 std::to_string(state.validationsWithoutImprovement) + " validations");
      }
    }
    state.trainSeconds = trainSecondsBefore + secondsSince(sessionStart);
    if (dist.distributed()) {  // every rank stops at the same step: a signal to any, or rank 0's early stop
      torch::Tensor flags = torch::tensor({stopRequested() ? 1.0 : 0.0, stoppedEarly ? 1.0 : 0.0}, torch::kFloat64);
      group->allReduceMax(flags);
      if (flags[0].item<double>() > 0) cancelled = true;
      if (flags[1].item<double>() > 0) stoppedEarly = true;
    }
    if (state.step % checkpointInterval == 0 || last || stoppedEarly) checkpoint(monitorValue);
    if ((cancelled && !last) || stoppedEarly) break;
  }
  state.trainSeconds = trainSecondsBefore + secondsSince(sessionStart);
  progress.finish();

  TrainResult result;
  result.step = state.step;
  result.status = cancelled ? "cancelled" : "completed";
  if (checkpointedStep != state.step) checkpoint(std::nullopt);
  if (cancelled) {
    if (rank0) log.info("stopped at step " + std::to_string(state.step) + "; `reef train` on this run directory continues it");
    return result;
  }

  if (ts.testAtEnd && validator) {
    auto testSet = model->dataset(Split::Test);
    if (testSet && testSet->size() > 0) {
      EvalOptions options{data.evalBatchSize, data.workers, 0, device, bf16,
                          rank0 ? std::optional(run_.artifacts()) : std::nullopt, "test_"};
      EvalResult test = evaluate(*model, Split::Test, options);
      emit("metric", {{"step", state.step}, {"values", prefixed(test.metrics, "test/")}});
      for (const auto& a : test.artifacts)
        emit("artifact", {{"kind", a.kind}, {"path", std::filesystem::relative(a.path, run_.root()).string()}});
      for (const auto& [k, v] : test.metrics) result.testMetrics["test/" + k] = v;
    }
  }
  log.info("finished at step " + std::to_string(state.step) + " after " +
           protocol::formatDuration(state.trainSeconds) + " of training");
  return result;
}

}  // namespace reef::engine

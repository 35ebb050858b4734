#include "trainer/trainer.h"

#include "core/data_loader.h"
#include "core/data_settings.h"
#include "core/lora.h"
#include "core/runtime.h"
#include "parallel/data_parallel.h"
#include "parallel/dist_env.h"
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
#include <sstream>

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
  const bool bf16 = ts.precision == "bf16-mixed";
  // Collectives wait long enough for rank 0 to validate and checkpoint; a dead rank is noticed by
  // the launcher (or Slurm), which ends the others.
  auto group = ProcessGroup::create(dist, device, std::chrono::minutes(30));
  // tp x dp: consecutive ranks split the model; ranks with the same position in their tensor-parallel
  // group hold the same shards and average their gradients.
  const int tp = ts.tensorParallel;
  if (dist.world % tp != 0)
    throw std::runtime_error("trainer.tensor_parallel (" + std::to_string(tp) + ") must divide the number of ranks (" +
                             std::to_string(dist.world) + "): launch a multiple of it, e.g. reef launch --nproc " +
                             std::to_string(tp));
  std::shared_ptr<ProcessGroup> tpGroup, dpGroup = group;
  if (tp > 1) {
    std::vector<int> tpRanks, dpRanks;
    for (int r = 0; r < tp; ++r) tpRanks.push_back(dist.rank / tp * tp + r);
    for (int d = 0; d < dist.world / tp; ++d) dpRanks.push_back(d * tp + dist.rank % tp);
    tpGroup = group->subgroup(tpRanks, "tp" + std::to_string(dist.rank / tp));
    dpGroup = group->subgroup(dpRanks, "dp" + std::to_string(dist.rank % tp));
  }
  const int dpRank = dist.rank / tp, dpSize = dist.world / tp;
  // The ranks of data-parallel replica 0 validate and checkpoint (under tensor parallelism each
  // forward needs all of them); rank 0 writes and reports.
  const bool validator = dpRank == 0;
  torch::manual_seed(exp.seed);  // the same initial weights on every rank

  auto model = registry_.create({spec_, resolveDataRoot(data), tpGroup});
  if (tp > 1 && !model->supportsTensorParallel())
    throw std::runtime_error("model " + spec_["model"]["collection"].get<std::string>() + "/" +
                             spec_["model"]["arch"].get<std::string>() +
                             " has no tensor-parallel layers: set trainer.tensor_parallel: 1 (data parallel)");
  model->to(device);
  torch::nn::Module& net = model->module();
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

  NamedTensors parameters;
  for (const auto& p : net.named_parameters(true)) parameters.emplace_back(p.key(), p.value());
  int64_t parameterCount = 0, trainableCount = 0;
  for (const auto& [n, p] : parameters) {
    parameterCount += p.numel();
    if (p.requires_grad()) trainableCount += p.numel();
  }
  Optimizer optimizer(parameters, settings.optim);
  const TensorParallelLayout layout = tp > 1 ? tensorParallelLayout(net) : TensorParallelLayout{};
  if (tp > 1) optimizer.setSharded(tpGroup, [&](const std::string& name) { return splitDimension(layout, name) >= 0; });
  // Checkpoints hold the whole model; each tensor-parallel rank loads its slice.
  auto ownSlice = [&](const std::map<std::string, torch::Tensor>& whole) {
    return tp > 1 ? sliceShards(whole, layout, tpGroup) : whole;
  };
  const LrSchedule schedule(settings.optim, totalSteps);
  std::unique_ptr<DataParallel> ddp;
  if (dpSize > 1) {
    ddp = std::make_unique<DataParallel>(dpGroup, parameters);
    ddp->broadcastFrom0(moduleState(net));
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
    loadModuleState(net, ownSlice(ckpt.weights), (run_.checkpoint(*latest) / "model.safetensors").string());
    optimizer.loadState(ownSlice(ckpt.trainerTensors), ckpt.state.optimizerSteps,
                        (run_.checkpoint(*latest) / "trainer_state.safetensors").string());
    auto rng = ckpt.trainerTensors.find("rng." + device.str());
    if (rng == ckpt.trainerTensors.end())
      throw std::runtime_error("checkpoint step-" + std::to_string(*latest) + " has no RNG state for " + device.str() +
                               " (was it written on another device?)");
    if (rank0) compat::setRngState(device, rng->second);  // (other ranks keep their own dropout streams)
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
    const size_t loaded = loadModuleState(net, ownSlice(loadTensors(source.weights())), source.weights().string(),
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
                     {"strategy", tp > 1 ? (dpSize > 1 ? "tp+ddp" : "tp") : dist.distributed() ? "ddp" : "single"},
                     {"tensor_parallel", tp},
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
  auto checkpoint = [&](std::optional<double> monitorValue) {  // (every validator calls it)
    checkpointedStep = state.step;
    NamedTensors weights = moduleState(net), trainerTensors = optimizer.state();
    if (tp > 1) {
      weights = gatherShards(weights, layout, tpGroup);
      trainerTensors = gatherShards(trainerTensors, layout, tpGroup);
    }
    if (!rank0) return;
    state.optimizerSteps = optimizer.steps();
    state.monitorValue = monitorValue;
    trainerTensors.emplace_back("rng." + device.str(), compat::rngState(device));
    const auto dir = store.save(state, weights, trainerTensors);
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
    if (validator && (state.step % checkpointInterval == 0 || last || stoppedEarly)) checkpoint(monitorValue);
    if (dist.distributed()) {  // every rank stops at the same step: a signal to any, or rank 0's early stop
      torch::Tensor flags = torch::tensor({stopRequested() ? 1.0 : 0.0, stoppedEarly ? 1.0 : 0.0}, torch::kFloat64);
      group->allReduceMax(flags);
      if (flags[0].item<double>() > 0) cancelled = true;
      if (flags[1].item<double>() > 0) stoppedEarly = true;
      if (cancelled && !last) break;
    }
    if (stoppedEarly) break;
  }
  state.trainSeconds = trainSecondsBefore + secondsSince(sessionStart);
  progress.finish();

  TrainResult result;
  result.step = state.step;
  result.status = cancelled ? "cancelled" : "completed";
  if (validator && checkpointedStep != state.step) checkpoint(std::nullopt);
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

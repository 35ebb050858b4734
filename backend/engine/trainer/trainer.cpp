#include "backend/engine/trainer/trainer.h"

#include "backend/engine/core/data_loader.h"
#include "backend/engine/core/data_settings.h"
#include "backend/engine/core/runtime.h"
#include "backend/engine/core/torch_compat.h"
#include "backend/engine/parallel/data_parallel.h"
#include "backend/engine/parallel/mixture_of_experts.h"
#include "backend/engine/trainer/checkpoint_state.h"
#include "backend/engine/trainer/evaluate.h"
#include "backend/engine/trainer/lr_schedule.h"
#include "backend/engine/trainer/optimizer.h"
#include "backend/engine/trainer/parallel_plan.h"
#include "backend/engine/trainer/parameter_partition.h"
#include "backend/engine/trainer/progress.h"
#include "backend/engine/trainer/run_events.h"
#include "backend/engine/trainer/run_log.h"
#include "backend/engine/trainer/settings.h"
#include "backend/engine/trainer/stop_signal.h"
#include "backend/engine/trainer/system_stats.h"
#include "backend/engine/trainer/validation.h"
#include "backend/protocol/number_format.h"
#include "backend/protocol/spec.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

namespace reef::engine {

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

protocol::RunDir laidOut(protocol::RunDir run) {
  run.createLayout();  // idempotent; the rank's log opens at once
  return run;
}

}  // namespace

torch::Device pickDevice(const std::string& accelerator) {
  if (accelerator == "cuda") {
    if (!compat::cudaAvailable())
      throw std::runtime_error(
          "trainer.accelerator is cuda but this LibTorch sees no CUDA device; "
          "use accelerator: cpu (or auto)");
    return torch::Device(torch::kCUDA, 0);
  }
  if (accelerator == "auto" && compat::cudaAvailable()) return torch::Device(torch::kCUDA, 0);
  return torch::kCPU;
}

// One training session of a run: set up in the order a bit-exact resume needs (seeds, model,
// data, partition, optimizer, checkpoint), then the loop, then the test at the end.
class Trainer::Session {
 public:
  Session(const Registry& registry, protocol::RunDir run, Json spec, protocol::EventWriter* events, bool interactive);
  TrainResult run();

 private:
  void emit(const std::string& type, const Json& fields) {
    if (events_) events_->write(type, fields);
  }
  void buildModel(const Registry& registry);
  void buildData();
  void buildOptimizer();
  void resume();
  void announce(int threads);
  double trainStep();
  void logInterval(double lr, double gradNorm, double epoch);
  std::optional<double> validate();
  bool agreeToStop(bool& cancelled, bool stoppedEarly);
  bool sweepAsksToStop();
  void checkpoint(std::optional<double> monitorValue);
  void test(TrainResult& result);

  protocol::RunDir run_;
  Json spec_;
  protocol::EventWriter* events_;
  bool interactive_;
  const RunSettings settings_;
  const DataSettings data_;
  const TrainerSettings& ts_;
  const ExpSettings& exp_;
  const DistEnv dist_;
  RunLog log_;
  int threads_ = 1;
  torch::Device device_ = torch::kCPU;
  std::optional<c10::DeviceGuard> onDevice_;  // the rank's GPU, current for the whole run (NCCL, CUDA's generator)
  bool bf16_ = false;
  ParallelPlan plan_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<ParameterPartition> partition_;
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<DataParallel> ddp_, expertDdp_;
  std::unique_ptr<DataLoader> loader_;
  bool hasVal_ = false;
  int64_t stepsPerEpoch_ = 1, totalSteps_ = 0, valInterval_ = 0, checkpointInterval_ = 0;
  std::unique_ptr<LrSchedule> schedule_;
  std::unique_ptr<CheckpointState> checkpoints_;
  TrainerState state_;
  std::optional<int64_t> resumedFrom_, checkpointedStep_;
  double flopsPerToken_ = 0, peakGflops_ = 0;
  std::unique_ptr<Progress> progress_;
  Interval interval_;
  Clock::time_point intervalStart_ = Clock::now();
};

Trainer::Session::Session(const Registry& registry, protocol::RunDir run, Json spec, protocol::EventWriter* events,
                          bool interactive)
    : run_(laidOut(std::move(run))),
      spec_(std::move(spec)),
      events_(events),
      interactive_(interactive),
      settings_(RunSettings::fromSpec(spec_)),
      data_(DataSettings::fromSpec(spec_)),
      ts_(settings_.trainer),
      exp_(settings_.exp),
      dist_(DistEnv::fromEnvironment()),
      log_(run_.rankLog(dist_.rank), events, dist_.rank) {
  const DistEnv& dist = dist_;
  threads_ = configureRuntime(ts_.threads);
  device_ = pickDevice(ts_.accelerator);
  // Task i of a node takes the node's GPU i; where Slurm hands each task its own GPU (one visible
  // device), that is GPU 0 of each.
  if (device_.is_cuda())
    device_ = torch::Device(
        torch::kCUDA, static_cast<c10::DeviceIndex>(dist.localRank % std::max<int>(1, torch::cuda::device_count())));
  if (device_.is_cuda()) onDevice_.emplace(device_);
  bf16_ = ts_.precision == "bf16-mixed";
  if (dist.distributed())
    log_.info(dist.who() + " (pid " + std::to_string(::getpid()) + "), rendezvous at " + dist.masterAddr + ":" +
              std::to_string(dist.masterPort));
  // A dead rank is usually noticed by the launcher (or Slurm), which ends the others; a rank that
  // is cut off (a node's link down) is noticed by this timeout.
  plan_ = ParallelPlan::create(dist, ts_, device_, std::chrono::seconds(ts_.collectiveTimeoutSeconds));
  torch::manual_seed(exp_.seed);  // the same initial weights on every rank
  buildModel(registry);
  if (dist.distributed())
    torch::manual_seed(exp_.seed + 7919 * static_cast<uint64_t>(dist.rank));  // own dropout per rank
  buildData();
  buildOptimizer();
  resume();
}

void Trainer::Session::buildModel(const Registry& registry) {
  model_ = registry.create({spec_, resolveDataRoot(data_), plan_.tensorGroup, plan_.expertGroup});
  const std::string name =
      spec_["model"]["collection"].get<std::string>() + "/" + spec_["model"]["arch"].get<std::string>();
  if (plan_.tensorParallel > 1 && !model_->supportsTensorParallel())
    throw std::runtime_error("model " + name +
                             " has no tensor-parallel layers: set trainer.tensor_parallel: 1 (data parallel)");
  if (plan_.expertParallel > 1 && !model_->supportsExpertParallel())
    throw std::runtime_error(
        "model " + name +
        " has no experts to split: set trainer.expert_parallel: 1, or train a mixture of experts (llm/mixtral)");
  model_->to(device_);
  std::vector<FullyShardedUnit*> units;
  if (plan_.fsdp) {
    units = model_->shardFully(plan_.world);
    if (units.empty()) throw std::runtime_error("model " + name + " has no blocks to shard: set trainer.strategy: ddp");
  }
  // Tensors split across a group (tensor-parallel layers, experts), and how.
  torch::nn::Module& net = model_->module();
  TensorParallelLayout layout = plan_.tensorParallel > 1   ? tensorParallelLayout(net)
                                : plan_.expertParallel > 1 ? expertParallelLayout(net)
                                                           : TensorParallelLayout{};
  partition_ = std::make_unique<ParameterPartition>(net, std::move(units), std::move(layout), plan_.splitSize(),
                                                    plan_.expertParallel > 1);
}

void Trainer::Session::buildData() {
  auto trainSet = model_->dataset(Split::Train);
  auto valSet = model_->dataset(Split::Val);
  hasVal_ = valSet && valSet->size() > 0;
  loader_ = std::make_unique<DataLoader>(
      trainSet, DataLoader::Options{data_.batchSize, /*shuffle=*/true, /*dropLast=*/true, exp_.seed, data_.workers, 2,
                                    plan_.dataRank, plan_.dataSize});
  stepsPerEpoch_ = std::max<int64_t>(1, loader_->batchesPerEpoch() / ts_.accumulate);
  totalSteps_ = ts_.maxSteps > 0 ? ts_.maxSteps : ts_.maxEpochs * stepsPerEpoch_;
  valInterval_ = ts_.valInterval > 0 ? ts_.valInterval : stepsPerEpoch_;
  checkpointInterval_ = exp_.checkpointInterval > 0 ? exp_.checkpointInterval : valInterval_;
}

void Trainer::Session::buildOptimizer() {
  const ParameterPartition& p = *partition_;
  optimizer_ = std::make_unique<Optimizer>(p.parameters(), settings_.optim);
  for (auto* u : p.units()) optimizer_->setDecayMask(u->name() + ".flat", u->matrixMask());
  if (plan_.fsdp)
    optimizer_->setSharded(plan_.world, [&p](const std::string& name) { return p.unitOfShard(name) != nullptr; });
  if (plan_.splitSize() > 1)
    optimizer_->setSharded(plan_.splitGroup(), [&p](const std::string& name) { return p.isSplit(name); });
  schedule_ = std::make_unique<LrSchedule>(settings_.optim, totalSteps_);
  if (plan_.dataSize > 1) {
    ddp_ = std::make_unique<DataParallel>(plan_.dataGroup, p.replicated());
    ddp_->broadcastFrom0(p.replicatedState());
  }
  if (plan_.expertReplicas && plan_.expertReplicas->size() > 1) {
    expertDdp_ = std::make_unique<DataParallel>(plan_.expertReplicas, p.experts());
    expertDdp_->broadcastFrom0(p.experts());
  }
}

void Trainer::Session::resume() {
  checkpoints_ = std::make_unique<CheckpointState>(plan_, *partition_, model_->module(), *optimizer_, run_, device_);
  state_.specHash = protocol::specHash(spec_);
  resumedFrom_ = checkpoints_->resume(state_, exp_.resumeAuto, log_);
  if (resumedFrom_)
    loader_->seek(state_.position);
  else if (!ts_.initFrom.empty())
    checkpoints_->initialiseFrom(ts_.initFrom, model_->taskHeads(), log_);
  checkpointedStep_ = resumedFrom_;
}

void Trainer::Session::announce(int threads) {
  // Model FLOPs utilisation: the model's FLOPs per token against this machine's matmul rate.
  flopsPerToken_ = model_->trainingFlopsPerToken();
  peakGflops_ = flopsPerToken_ > 0 ? matmulGflops(device_, bf16_ ? torch::kBFloat16 : torch::kFloat32) : 0;
  RunStart s;
  s.runId = run_.root().filename().string();
  s.name = exp_.name;
  s.specHash = state_.specHash;
  s.strategy = plan_.strategy();
  s.backend = plan_.world->backend();
  s.device = device_.str();
  s.initFrom = ts_.initFrom;
  s.worldSize = plan_.dist.world;
  s.rank = plan_.dist.rank;
  s.tensorParallel = plan_.tensorParallel;
  s.expertParallel = plan_.expertParallel;
  s.threads = threads;
  s.parameters = partition_->parameterCount();
  s.trainableParameters = partition_->trainableCount();
  s.totalSteps = totalSteps_;
  s.stepsPerEpoch = stepsPerEpoch_;
  s.peakMatmulGflops = peakGflops_;
  s.resumedFrom = resumedFrom_;
  emit("run_started", runStartedEvent(s));
  log_.info("training " + spec_["model"]["collection"].get<std::string>() + "/" +
            spec_["model"]["arch"].get<std::string>() + " (" + std::to_string(s.parameters) + " parameters) for " +
            std::to_string(totalSteps_) + " steps on " + s.device + " with " + std::to_string(threads) + " threads" +
            (resumedFrom_ ? ", resumed from step " + std::to_string(*resumedFrom_) : ""));
}

// The micro-batches of one optimizer step, forward and backward, their gradients averaged over
// the replicas; returns the step's loss.
double Trainer::Session::trainStep() {
  double stepLoss = 0;
  for (int64_t micro = 0; micro < ts_.accumulate; ++micro) {
    if (ddp_) ddp_->setSync(micro + 1 == ts_.accumulate);
    if (expertDdp_) expertDdp_->setSync(micro + 1 == ts_.accumulate);
    Batch batch = loader_->next().to(device_);
    torch::Tensor loss;
    {
      AutocastScope autocast(bf16_, device_);
      loss = model_->trainingStep(batch);
    }
    if (ts_.accumulate > 1) loss = loss / static_cast<double>(ts_.accumulate);
    loss.backward();
    stepLoss += loss.item<double>();
    interval_.samples += batch.size;
    interval_.tokens += batch.tokens;
    state_.samplesSeen += batch.size;
  }
  if (ddp_) ddp_->finishGradients();
  if (expertDdp_) expertDdp_->finishGradients();
  // An expert's gradient holds the tokens of its whole expert-parallel group (they came to it by
  // all-to-all): averaged like the rest over all ranks, it is divided by the group size too.
  for (auto& [name, p] : partition_->experts())
    if (p.grad().defined()) p.mutable_grad().div_(plan_.expertParallel);
  if (!std::isfinite(stepLoss))
    throw std::runtime_error("the training loss became " + std::to_string(stepLoss) + " at step " +
                             std::to_string(state_.step + 1) +
                             ": lower optim.lr, add warm-up (optim.warmup_steps) or set trainer.gradient_clip_norm");
  return stepLoss;
}

void Trainer::Session::logInterval(double lr, double gradNorm, double epoch) {
  interval_.seconds = secondsSince(intervalStart_);
  if (plan_.dist.distributed()) {  // the loss of the global batch, and the samples of every rank
    torch::Tensor sums = torch::tensor(
        {interval_.lossSum, static_cast<double>(interval_.samples), static_cast<double>(interval_.tokens)},
        torch::kFloat64);
    plan_.world->allReduceSum(sums);
    interval_.lossSum = sums[0].item<double>() / plan_.dist.world;
    // A tensor-parallel group shares its batch.
    interval_.samples = static_cast<int64_t>(sums[1].item<double>()) / plan_.tensorParallel;
    interval_.tokens = static_cast<int64_t>(sums[2].item<double>()) / plan_.tensorParallel;
  }
  emit("metric",
       {{"step", state_.step},
        {"values", intervalMetrics(interval_, lr, gradNorm, epoch, flopsPerToken_, peakGflops_, plan_.dist.world)}});
  interval_ = {};
  intervalStart_ = Clock::now();
}

std::optional<double> Trainer::Session::validate() {
  EvalOptions options{data_.evalBatchSize, data_.workers, ts_.limitValBatches, device_, bf16_, std::nullopt, ""};
  const auto started = Clock::now();
  const MetricMap metrics = evaluate(*model_, Split::Val, options).metrics;
  state_.lastValidation = metrics;
  Json values = prefixed(metrics, "val/");
  values["perf/val_seconds"] = secondsSince(started);
  emit("metric", {{"step", state_.step}, {"values", values}});
  if (plan_.rank0()) progress_->message("step " + std::to_string(state_.step) + "  " + summary(metrics, "val/"));
  const double value = monitoredValue(values, exp_.monitor);
  recordValidation(state_, value, exp_.monitorMax, ts_.earlyStoppingMinDelta);
  intervalStart_ += Clock::now() - started;  // throughput counts training time only
  return value;
}

// Every rank of a job stops at the same step: a signal to any of them, or a validator's early stop.
bool Trainer::Session::agreeToStop(bool& cancelled, bool stoppedEarly) {
  torch::Tensor flags = torch::tensor({stopRequested() ? 1.0 : 0.0, stoppedEarly ? 1.0 : 0.0}, torch::kFloat64);
  plan_.world->allReduceMax(flags);
  if (flags[0].item<double>() > 0) cancelled = true;
  return flags[1].item<double>() > 0;
}

// A sweep's early-stopping rule writes the run's stop request; rank 0 reads it after every step
// (a stat, ~1 us) and the job agrees on it like on an early stop.
bool Trainer::Session::sweepAsksToStop() {
  if (!plan_.rank0() || !std::filesystem::exists(run_.stopRequest())) return false;
  std::ifstream in(run_.stopRequest());
  const Json request = Json::parse(in, nullptr, false);
  const std::string reason = request.is_object() ? request.value("reason", "") : "";
  log_.info("stopped early by the sweep at step " + std::to_string(state_.step) +
            (reason.empty() ? "" : ": " + reason));
  return true;
}

void Trainer::Session::checkpoint(std::optional<double> monitorValue) {
  checkpointedStep_ = state_.step;
  const auto event = checkpoints_->save(state_, monitorValue, exp_.keepTopK, exp_.monitorMax, exp_.monitor);
  if (event) emit("checkpoint", *event);
}

void Trainer::Session::test(TrainResult& result) {
  auto testSet = model_->dataset(Split::Test);
  if (!testSet || testSet->size() == 0) return;
  EvalOptions options{data_.evalBatchSize,
                      data_.workers,
                      0,
                      device_,
                      bf16_,
                      plan_.rank0() ? std::optional(run_.artifacts()) : std::nullopt,
                      "test_"};
  EvalResult test = evaluate(*model_, Split::Test, options);
  emit("metric", {{"step", state_.step}, {"values", prefixed(test.metrics, "test/")}});
  for (const auto& a : test.artifacts)
    emit("artifact", {{"kind", a.kind}, {"path", std::filesystem::relative(a.path, run_.root()).string()}});
  for (const auto& [k, v] : test.metrics) result.testMetrics["test/" + k] = v;
}

TrainResult Trainer::Session::run() {
  announce(threads_);
  progress_ = std::make_unique<Progress>(
      plan_.dist.distributed() ? "train[rank " + std::to_string(plan_.dist.rank) + "]" : "train", totalSteps_,
      interactive_ && plan_.rank0());
  log_.setConsole([this](const std::string& line) { progress_->message(line); });
  installStopHandlers();
  SystemStats system;
  auto lastSystem = Clock::now();
  double systemDue = SystemStats::kFirstSampleSeconds;
  model_->module().train();
  bool cancelled = false, stoppedEarly = false, sweepStopped = false;
  const auto sessionStart = Clock::now();
  const double trainSecondsBefore = state_.trainSeconds;
  intervalStart_ = Clock::now();
  while (state_.step < totalSteps_) {
    if (!plan_.dist.distributed() && stopRequested()) {  // (a job decides together, after each step)
      cancelled = true;
      break;
    }
    const double stepLoss = trainStep();
    const bool logNow = (state_.step + 1) % ts_.logInterval == 0 || state_.step + 1 == totalSteps_;
    double gradNorm = NAN;
    if (ts_.gradientClipNorm > 0)
      gradNorm = optimizer_->clipGradNorm(ts_.gradientClipNorm);
    else if (logNow)
      gradNorm = optimizer_->gradNorm();
    const double lr = schedule_->at(state_.step);
    optimizer_->step(lr);
    optimizer_->zeroGrad();
    ++state_.step;
    state_.position = loader_->position();
    interval_.lossSum += stepLoss;
    ++interval_.steps;
    const double epoch = static_cast<double>(state_.position.epoch) +
                         static_cast<double>(state_.position.batch) / static_cast<double>(loader_->batchesPerEpoch());
    char detail[160];
    std::snprintf(detail, sizeof detail, "epoch %.2f | loss %.4f", epoch, stepLoss);
    progress_->update(state_.step, detail);
    if (logNow) logInterval(lr, gradNorm, epoch);
    if (secondsSince(lastSystem) >= systemDue) {
      emit("system", system.sample(state_.step));
      lastSystem = Clock::now();
      systemDue = SystemStats::kIntervalSeconds;
    }
    const bool last = state_.step == totalSteps_;
    std::optional<double> monitorValue;
    if (plan_.validator && hasVal_ && (state_.step % valInterval_ == 0 || last)) {
      monitorValue = validate();
      stoppedEarly = patienceExhausted(state_, ts_.earlyStoppingPatience);
      if (stoppedEarly)
        log_.info("early stopping at step " + std::to_string(state_.step) + ": " + exp_.monitor +
                  " has not improved for " + std::to_string(state_.validationsWithoutImprovement) + " validations");
    }
    if (!stoppedEarly && !last && sweepAsksToStop()) stoppedEarly = sweepStopped = true;
    state_.trainSeconds = trainSecondsBefore + secondsSince(sessionStart);
    if (plan_.dist.distributed()) stoppedEarly = agreeToStop(cancelled, stoppedEarly);
    if (state_.step % checkpointInterval_ == 0 || last || stoppedEarly) checkpoint(monitorValue);
    if ((cancelled && !last) || stoppedEarly) break;
  }
  state_.trainSeconds = trainSecondsBefore + secondsSince(sessionStart);
  progress_->finish();

  TrainResult result;
  result.step = state_.step;
  result.status = cancelled ? "cancelled" : sweepStopped ? "stopped" : "completed";
  if (checkpointedStep_ != state_.step) checkpoint(std::nullopt);
  if (sweepStopped) return result;  // a trial stopped early is not worth its test evaluation
  if (cancelled) {
    const std::string source = stopSignalSource();  // "" on the ranks that stop because another was asked
    if (!source.empty()) log_.info("asked to stop by " + source);
    if (plan_.rank0())
      log_.info("stopped at step " + std::to_string(state_.step) + "; `reef train` on this run directory continues it");
    return result;
  }
  if (ts_.testAtEnd && plan_.validator) test(result);
  log_.info("finished at step " + std::to_string(state_.step) + " after " +
            protocol::formatDuration(state_.trainSeconds) + " of training");
  return result;
}

Trainer::Trainer(const Registry& registry, protocol::RunDir run, Json spec, protocol::EventWriter* events,
                 bool interactive)
    : session_(std::make_unique<Session>(registry, std::move(run), std::move(spec), events, interactive)) {}

Trainer::~Trainer() = default;

TrainResult Trainer::run() { return session_->run(); }

}  // namespace reef::engine

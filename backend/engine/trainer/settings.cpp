#include "backend/engine/trainer/settings.h"

#include "backend/protocol/spec.h"

namespace reef::engine {

using namespace protocol;

std::vector<std::pair<std::string, Section>> trainerSections() {
  constexpr double kBig = 1e12;
  return {
      {"trainer",
       {
           withSpecial(
               intParam("max_steps", -1, -1, kBig, "Optimizer steps to train for; -1 trains for max_epochs instead"),
               "unset: max_epochs decides"),
           intParam("max_epochs", 1, 0, 1e6, "Passes over the training split, used when max_steps is -1"),
           withSpecial(
               intParam("val_interval", 0, 0, kBig, "Optimizer steps between validations; 0 validates once per epoch"),
               "once per epoch"),
           withSpecial(advanced(intParam("limit_val_batches", 0, 0, kBig,
                                         "Validate on at most this many batches; 0 uses the whole split")),
                       "the whole split"),
           intParam("log_interval", 50, 1, 1e9, "Optimizer steps between training metric events"),
           advanced(intParam("accumulate_grad_batches", 1, 1, 4096,
                             "Batches whose gradients are summed before each optimizer step")),
           withSpecial(floatParam("gradient_clip_norm", 0.0, 0, 1e9,
                                  "Clip the global gradient norm to this value; 0 disables clipping"),
                       "off"),
           choiceParam("precision", "fp32", {"fp32", "bf16-mixed"},
                       "Arithmetic of forward and backward: fp32, or bf16 autocast with fp32 weights and optimizer"),
           choiceParam("accelerator", "auto", {"auto", "cpu", "cuda"},
                       "Where to train; auto picks a GPU when LibTorch has one"),
           withSpecial(intParam("threads", 0, 0, 1024,
                                "CPU threads for tensor operations; 0 uses every core this process may run on"),
                       "automatic: every core"),
           withSpecial(
               intParam("early_stopping_patience", 0, 0, 1e9,
                        "Stop after this many validations without improvement of exp.monitor; 0 never stops early"),
               "off"),
           advanced(floatParam("early_stopping_min_delta", 0.0, 0, 1e9,
                               "Smallest change of exp.monitor that counts as an improvement")),
           boolParam("test_at_end", true, "Evaluate the test split after training and emit test/* metrics"),
           runParam("init_from",
                    "Run directory (its best checkpoint) or checkpoint folder whose weights start this run, "
                    "for fine-tuning (a pretrained encoder, a base language model); tensors the model adds (its "
                    "task head, LoRA adapters) keep their initial values, and what only the source has is not used"),
           advanced(choiceParam(
               "strategy", "ddp", {"ddp", "fsdp"},
               "How several ranks share the work: ddp replicates the model and averages gradients; fsdp "
               "shards each block's parameters, gradients and optimizer state (ZeRO-3), for models built of blocks")),
           advanced(intParam(
               "tensor_parallel", 1, 1, 1024,
               "Ranks that split each layer (Megatron-style tensor parallelism); the world size must be a multiple, "
               "and the remaining factor is data parallel (tp x dp)")),
           advanced(intParam(
               "expert_parallel", 1, 1, 1024,
               "Ranks that split the experts of a mixture-of-experts model (each holds experts / ep of them and "
               "tokens travel by all-to-all); the world size must be a multiple, the remaining factor replicates")),
           advanced(intParam("collective_timeout", 1800, 10, 86400,
                             "Seconds a rank waits for the others in a collective (or the rendezvous) before the "
                             "job fails naming the rank: long enough for rank 0 to validate and checkpoint")),
       }},
      {"optim",
       {
           choiceParam("name", "adamw", {"sgd", "adam", "adamw"}, "Optimizer"),
           floatParam("lr", 1e-3, 0, 10, "Peak learning rate", /*minExclusive=*/true),
           floatParam(
               "weight_decay", 0.01, 0, 1,
               "Weight decay of weight matrices and kernels (biases and norms are not decayed); decoupled for adamw"),
           floatParam("momentum", 0.9, 0, 0.9999, "Momentum (sgd)"),
           boolParam("nesterov", false, "Nesterov momentum (sgd)"),
           advanced(floatParam("beta1", 0.9, 0, 0.9999, "First-moment decay (adam, adamw)")),
           advanced(floatParam("beta2", 0.999, 0, 0.99999, "Second-moment decay (adam, adamw)")),
           advanced(floatParam("eps", 1e-8, 0, 1, "Denominator epsilon (adam, adamw)", /*minExclusive=*/true)),
           choiceParam("schedule", "cosine", {"constant", "cosine", "linear"}, "Learning-rate decay after warm-up"),
           intParam("warmup_steps", 0, 0, kBig, "Steps of linear warm-up from 0 to lr"),
           floatParam("min_lr_ratio", 0.0, 0, 1, "Learning rate at the end of the decay, as a fraction of lr"),
       }},
      {"exp",
       {
           stringParam("name", "", "A label for the run (run ids are generated; the name is never a path)"),
           advanced(stringParam("sweep", "",
                                "The sweep and trial this run belongs to, <sweep id>/<trial>; set by reef sweep")),
           intParam("seed", 1, 0, 2147483647, "Seed of weight initialisation, data order and dropout"),
           intParam("checkpoint_interval", 0, 0, kBig,
                    "Optimizer steps between checkpoints; 0 checkpoints at every validation"),
           intParam("keep_top_k", 1, -1, 1000,
                    "Checkpoints kept by best exp.monitor, besides the latest; -1 keeps all"),
           stringParam("monitor", "val/loss", "Metric that ranks checkpoints and drives early stopping"),
           choiceParam("monitor_mode", "min", {"min", "max"}, "Whether a smaller or larger monitor value is better"),
           choiceParam(
               "resume", "auto", {"auto", "never"},
               "auto continues from the run directory's latest checkpoint; never refuses a directory that has one"),
       }},
      // Read by `reef submit` and the studio's cluster launch (sbatch options); a run on this
      // machine ignores them. Unset keys take the cluster profile's defaults.
      {"resources",
       {
           intParam("nodes", 1, 1, 100000, "Nodes of a cluster job"),
           intParam("tasks_per_node", 1, 1, 1024, "Ranks per node of a cluster job (srun starts one engine per task)"),
           intParam("gpus_per_node", 0, 0, 1024, "GPUs per node of a cluster job"),
           intParam("cpus_per_task", 0, 0, 4096, "CPUs per task of a cluster job; 0 takes the partition's default"),
           stringParam("memory", "", "Memory per node of a cluster job, e.g. 64G; empty takes the partition's default"),
           stringParam("time_limit", "", "Time limit of a cluster job, e.g. 04:00:00; empty takes the profile's"),
       }},
  };
}

RunSettings RunSettings::fromSpec(const Json& spec) {
  RunSettings s;
  const Json& t = spec.at("trainer");
  s.trainer.maxSteps = t.at("max_steps").get<int64_t>();
  s.trainer.maxEpochs = t.at("max_epochs").get<int64_t>();
  s.trainer.valInterval = t.at("val_interval").get<int64_t>();
  s.trainer.limitValBatches = t.at("limit_val_batches").get<int64_t>();
  s.trainer.logInterval = t.at("log_interval").get<int64_t>();
  s.trainer.accumulate = t.at("accumulate_grad_batches").get<int64_t>();
  s.trainer.gradientClipNorm = t.at("gradient_clip_norm").get<double>();
  s.trainer.precision = t.at("precision").get<std::string>();
  s.trainer.accelerator = t.at("accelerator").get<std::string>();
  s.trainer.threads = t.at("threads").get<int>();
  s.trainer.collectiveTimeoutSeconds = t.at("collective_timeout").get<int>();
  s.trainer.earlyStoppingPatience = t.at("early_stopping_patience").get<int64_t>();
  s.trainer.earlyStoppingMinDelta = t.at("early_stopping_min_delta").get<double>();
  s.trainer.testAtEnd = t.at("test_at_end").get<bool>();
  s.trainer.initFrom = t.at("init_from").get<std::string>();
  s.trainer.tensorParallel = t.at("tensor_parallel").get<int>();
  s.trainer.expertParallel = t.at("expert_parallel").get<int>();
  s.trainer.strategy = t.at("strategy").get<std::string>();
  if (s.trainer.maxSteps < 0 && s.trainer.maxEpochs == 0)
    throw SpecError("spec", {{"trainer.max_steps", "training has no length: set max_steps > 0 or max_epochs > 0"}});

  const Json& o = spec.at("optim");
  s.optim.name = o.at("name").get<std::string>();
  s.optim.lr = o.at("lr").get<double>();
  s.optim.weightDecay = o.at("weight_decay").get<double>();
  s.optim.momentum = o.at("momentum").get<double>();
  s.optim.nesterov = o.at("nesterov").get<bool>();
  s.optim.beta1 = o.at("beta1").get<double>();
  s.optim.beta2 = o.at("beta2").get<double>();
  s.optim.eps = o.at("eps").get<double>();
  s.optim.schedule = o.at("schedule").get<std::string>();
  s.optim.warmupSteps = o.at("warmup_steps").get<int64_t>();
  s.optim.minLrRatio = o.at("min_lr_ratio").get<double>();

  const Json& e = spec.at("exp");
  s.exp.name = e.at("name").get<std::string>();
  s.exp.seed = e.at("seed").get<uint64_t>();
  s.exp.checkpointInterval = e.at("checkpoint_interval").get<int64_t>();
  s.exp.keepTopK = e.at("keep_top_k").get<int64_t>();
  s.exp.monitor = e.at("monitor").get<std::string>();
  s.exp.monitorMax = e.at("monitor_mode").get<std::string>() == "max";
  s.exp.resumeAuto = e.at("resume").get<std::string>() == "auto";
  return s;
}

}  // namespace reef::engine

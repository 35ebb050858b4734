// Benchmark of the LLM collection, all figures from one run:
//  1. the KJV Llama's training step (resources/examples/llm/kjv_llama.yaml: batch 32 x 128 tokens,
//     AdamW) in Reef against the same model in Python PyTorch on the same LibTorch (Debian's
//     python3-torch, bench/llm_train_step.py), interleaved rounds, medians. Reef re-executes with
//     OPENBLAS_CORETYPE set where OpenBLAS misreads the CPU (backend/engine/core/blas_kernels.h); Python then runs
//     twice per round, as it loads by default and with the same kernels as Reef;
//  2. Reef's model FLOP/s while training against this machine's torch::mm rate and, in fp32, the
//     rate of the oneDNN GEMM that Reef's linear layers use (backend/engine/core/dense_products.h);
//  3. generation tokens/s with the KV cache against recomputing the whole sequence per token;
//  4. continuous batching (reef serve's engine, without HTTP): aggregate tokens/s of 1, 4, 16 and 64
//     sequences decoded together against one sequence with the cache.
//
// Steps 1-2 run in fp32 and again under bf16 autocast (the trainer's precision: bf16-mixed), each
// against the same precision on both sides.
//
//   reef-bench-llm [--threads N] [--steps S] [--rounds R] [--tokens T] [--only training|generation]
#include <torch/torch.h>

#include "backend/collections/collections.h"
#include "backend/collections/llm/causal_lm.h"
#include "backend/collections/llm/generation.h"
#include "backend/engine/core/blas_kernels.h"
#include "backend/engine/core/data_settings.h"
#include "backend/engine/core/dense_products.h"
#include "backend/engine/core/runtime.h"
#include "backend/engine/trainer/engine_catalog.h"
#include "backend/engine/trainer/evaluate.h"
#include "backend/engine/trainer/optimizer.h"
#include "backend/protocol/spec.h"
#include "bench/bench_util.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

using namespace reef;
using namespace reef::engine;

namespace {

using bench::argText;
using bench::argValue;
using bench::median;

Json exampleSpec() {
  const Json raw = protocol::loadSpecFile(REEF_SOURCE_DIR "/resources/examples/llm/kjv_llama.yaml");
  return protocol::resolveSpec(raw, engine::engineCatalog(collections::builtinRegistry()), "kjv_llama.yaml");
}

// Reef's own path: the registry builds the example's model, CausalLM::trainingStep computes the
// loss, Reef's AdamW updates (the trainer's loop without data loading and events).
class ReefStep {
 public:
  explicit ReefStep(const Json& spec) {
    torch::manual_seed(0);
    model_ = collections::builtinRegistry().create({spec, resolveDataRoot(DataSettings::fromSpec(spec))});
    model_->module().train();
    const int64_t batch = spec["data"]["batch_size"].get<int64_t>();
    std::vector<int64_t> indices(static_cast<size_t>(batch));
    for (int64_t i = 0; i < batch; ++i) indices[static_cast<size_t>(i)] = i * 37;
    data_ = model_->dataset(Split::Train)->get(indices);
    NamedTensors params;
    for (const auto& p : model_->module().named_parameters()) params.emplace_back(p.key(), p.value());
    OptimSettings optim;
    optim.name = "adamw";
    optim.weightDecay = 0.1;
    optim.beta2 = 0.95;
    optimizer_ = std::make_unique<Optimizer>(params, optim);
  }

  double stepMs(bool bf16) {
    const auto start = std::chrono::steady_clock::now();
    torch::Tensor loss;
    {
      AutocastScope autocast(bf16, torch::kCPU);
      loss = model_->trainingStep(data_);
    }
    loss.backward();
    optimizer_->step(1e-3);
    optimizer_->zeroGrad();
    loss.item<double>();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }

  int64_t tokensPerStep() const { return data_.tokens; }
  Model& model() { return *model_; }

 private:
  std::unique_ptr<Model> model_;
  Batch data_;
  std::unique_ptr<Optimizer> optimizer_;
};

// `blasCore` "": OpenBLAS as it loads (OPENBLAS_CORETYPE unset), otherwise the core type asked for.
double pythonMs(const Json& spec, int threads, int steps, bool bf16, const std::string& blasCore,
                std::string& torchVersion) {
  const Json& m = spec["model"];
  const int64_t dim = m["dim"].get<int64_t>();
  const std::string environment =
      blasCore.empty() ? "env -u OPENBLAS_CORETYPE " : "env OPENBLAS_CORETYPE=" + blasCore + " ";
  const std::string command = environment + "/usr/bin/python3 " + REEF_SOURCE_DIR +
                              "/bench/llm_train_step.py --threads " + std::to_string(threads) + " --dim " +
                              std::to_string(dim) + " --layers " + std::to_string(m["layers"].get<int64_t>()) +
                              " --heads " + std::to_string(m["heads"].get<int64_t>()) + " --kv-heads " +
                              std::to_string(m["kv_heads"].get<int64_t>()) + " --hidden " +
                              std::to_string((8 * dim / 3 + 63) / 64 * 64) + " --batch " +
                              std::to_string(spec["data"]["batch_size"].get<int64_t>()) + " --context " +
                              std::to_string(spec["data"]["context"].get<int64_t>()) + " --steps " +
                              std::to_string(steps) + (bf16 ? " --bf16" : "");
  const Json result = bench::pythonResults(command).back();
  torchVersion = result["torch"].get<std::string>();
  const double ms = result["ms_per_step"].get<double>();
  return ms;
}

}  // namespace

// Steps 1-2: the training step against Python, and model FLOP/s.
void compareTraining(const Json& spec, ReefStep& reef, int threads, int steps, int rounds,
                     const std::vector<std::string>& pythonCores, const char* blasCore) {
  auto* lm = dynamic_cast<llm::CausalLM*>(&reef.model());
  const int64_t tokens = reef.tokensPerStep();
  std::printf(
      "Llama training step (kjv_llama.yaml: %lld parameters, %lld tokens per step, AdamW), %d threads\n"
      "median of %d rounds of %d steps; each round times Reef, then Python\n",
      static_cast<long long>(lm->network()->config().parameterCount()), static_cast<long long>(tokens), threads, rounds,
      steps);
  for (const bool bf16 : {false, true}) {
    const char* precision = bf16 ? "bf16-mixed" : "fp32";
    std::printf("%s:\n", precision);
    for (int i = 0; i < 2; ++i) reef.stepMs(bf16);
    std::vector<double> reefTimes;
    std::vector<std::vector<double>> pythonTimes(pythonCores.size());
    std::string torchVersion;
    for (int r = 0; r < rounds; ++r) {
      std::vector<double> round;
      for (int i = 0; i < steps; ++i) round.push_back(reef.stepMs(bf16));
      reefTimes.push_back(median(round));
      std::printf("  round %d: reef %.1f ms/step", r, reefTimes.back());
      for (size_t c = 0; c < pythonCores.size(); ++c) {
        pythonTimes[c].push_back(pythonMs(spec, threads, steps, bf16, pythonCores[c], torchVersion));
        std::printf(", python %.1f", pythonTimes[c].back());
      }
      std::printf("\n");
    }
    const double reefMs = median(reefTimes);
    std::printf("  %-52s %8.1f ms/step %8.0f tokens/s%s\n", "reef (C++ engine)", reefMs, 1000.0 * tokens / reefMs,
                blasCore ? (std::string("   OPENBLAS_CORETYPE=") + blasCore).c_str() : "");
    for (size_t c = 0; c < pythonCores.size(); ++c) {
      const double pyMs = median(pythonTimes[c]);
      const std::string label = "python (torch " + torchVersion + "), " +
                                (pythonCores[c].empty() ? "OpenBLAS as loaded" : "OPENBLAS_CORETYPE=" + pythonCores[c]);
      std::printf("  %-52s %8.1f ms/step %8.0f tokens/s   reef is %.2fx\n", label.c_str(), pyMs, 1000.0 * tokens / pyMs,
                  pyMs / reefMs);
    }
    const double modelGflops = reef.model().trainingFlopsPerToken() * tokens / (reefMs / 1000.0) / 1e9;
    const torch::ScalarType dtype = bf16 ? torch::kBFloat16 : torch::kFloat32;
    const double mmGflops = matmulGflops(torch::kCPU, dtype, MatmulKernel::TorchMm);
    std::printf(
        "  model FLOP/s (6N + attention per token) vs torch::mm 1024^3 in %s: %.1f vs %.1f GFLOP/s, MFU %.0f%%\n",
        bf16 ? "bf16" : "fp32", modelGflops, mmGflops, 100.0 * modelGflops / mmGflops);
    if (!bf16 && denseProductsUseOneDnn()) {
      const double gemmGflops = matmulGflops(torch::kCPU, dtype, MatmulKernel::DenseGemm);
      std::printf("  %-*s vs oneDNN sgemm 1024^3 (Reef's linear layers): %.1f vs %.1f GFLOP/s, MFU %.0f%%\n", 24, "",
                  modelGflops, gemmGflops, 100.0 * modelGflops / gemmGflops);
    }
  }
}

// Steps 3-4: generation with and without the cache, and continuous batching.
void compareGeneration(llm::CausalLM* lm, int genTokens) {
  llm::SamplingOptions o;
  o.maxTokens = genTokens;
  o.temperature = 0;
  o.ignoreEos = true;
  std::printf("Generation, %d tokens after \"In the beginning\" (greedy, batch 1)\n", genTokens);
  double cachedRate = 0;
  for (bool cache : {true, false}) {
    o.useCache = cache;
    const llm::GenerationResult r = llm::generate(lm->network(), lm->tokenizer(), "In the beginning", o);
    const double rate = static_cast<double>(r.tokens.size()) / r.seconds;
    if (cache) cachedRate = rate;
    std::printf("  %-28s %8.1f tokens/s%s\n", cache ? "with KV cache" : "without (recompute all)", rate,
                cache ? "" : ("   the cache is " + std::to_string(cachedRate / rate).substr(0, 5) + "x").c_str());
  }
  std::printf("Continuous batching, %d tokens per sequence after \"In the beginning\" (greedy, no HTTP)\n", genTokens);
  for (int64_t n : {1, 4, 16, 64}) {
    const auto batch = lm->newBatch({n, 0});
    const auto start = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < n; ++i) batch->add(static_cast<uint64_t>(i), "In the beginning", o, {});
    int64_t tokens = 0;
    while (batch->running() > 0)
      for (const auto& f : batch->step()) tokens += static_cast<int64_t>(f.result.tokens.size());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("  %3lld sequences %8.1f tokens/s   %.2fx batch 1 with the cache\n", static_cast<long long>(n),
                static_cast<double>(tokens) / seconds, static_cast<double>(tokens) / seconds / cachedRate);
  }
}

int main(int argc, char** argv) {
  reexecForOpenBlasKernels(argv);  // as `reef` does
  const char* blasCore = std::getenv("OPENBLAS_CORETYPE");
  // Python as it runs by default, and with the OpenBLAS kernels Reef runs with when they differ.
  std::vector<std::string> pythonCores = {""};
  if (blasCore) pythonCores.emplace_back(blasCore);
  const int threads = configureRuntime(argValue(argc, argv, "--threads", 0));
  const int steps = argValue(argc, argv, "--steps", 5);
  const int rounds = argValue(argc, argv, "--rounds", 3);
  const int genTokens = argValue(argc, argv, "--tokens", 200);
  const std::string only = argText(argc, argv, "--only", "");
  try {
    const Json spec = exampleSpec();
    ReefStep reef(spec);
    if (only.empty() || only == "training") compareTraining(spec, reef, threads, steps, rounds, pythonCores, blasCore);
    if (only.empty() || only == "generation") compareGeneration(dynamic_cast<llm::CausalLM*>(&reef.model()), genTokens);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reef-bench-llm: %s\n", e.what());
    return 1;
  }
  return 0;
}

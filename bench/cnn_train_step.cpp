// Benchmark: the vision CNN's training step in Reef against the same network in Python PyTorch
// on the same LibTorch (Debian's python3-torch), same threads, batch and optimizer, measured in
// one run. Prints ms/step for each and the ratio.
//
//   reef-bench-cnn [--threads N] [--batch B] [--steps S] [--rounds R]
#include <torch/torch.h>

#include "backend/collections/collections.h"
#include "backend/engine/core/data_settings.h"
#include "backend/engine/core/runtime.h"
#include "backend/engine/trainer/engine_catalog.h"
#include "backend/engine/trainer/optimizer.h"
#include "backend/protocol/spec.h"
#include "bench/bench_util.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace reef;
using namespace reef::engine;

namespace {

using bench::argValue;
using bench::median;

// Reef's own path: the registry builds the spec's model, ImageClassifier::trainingStep computes
// the loss, Reef's AdamW updates. Built once and warmed up; repeat() times `steps` steps.
class ReefStep {
 public:
  explicit ReefStep(int batch) {
    Json raw = protocol::loadSpecFile(REEF_SOURCE_DIR "/resources/examples/vision/mnist_cnn.yaml");
    raw["data"]["batch_size"] = batch;
    const Json spec =
        protocol::resolveSpec(raw, engine::engineCatalog(collections::builtinRegistry()), "mnist_cnn.yaml");
    torch::manual_seed(0);
    model_ = collections::builtinRegistry().create({spec, resolveDataRoot(DataSettings::fromSpec(spec))});
    model_->to(torch::kCPU);
    model_->module().train();
    std::vector<int64_t> indices(static_cast<size_t>(batch));
    for (int i = 0; i < batch; ++i) indices[static_cast<size_t>(i)] = i;
    data_ = model_->dataset(Split::Train)->get(indices);
    NamedTensors params;
    for (const auto& p : model_->module().named_parameters()) params.emplace_back(p.key(), p.value());
    OptimSettings optim;
    optim.name = "adamw";
    optim.weightDecay = 0.01;
    optimizer_ = std::make_unique<Optimizer>(params, optim);
  }

  void step() {
    torch::Tensor loss = model_->trainingStep(data_);
    loss.backward();
    optimizer_->step(1e-3);
    optimizer_->zeroGrad();
    loss.item<double>();
  }

  double msPerStep(int steps) {
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) step();
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / steps;
  }

 private:
  std::unique_ptr<Model> model_;
  Batch data_;
  std::unique_ptr<Optimizer> optimizer_;
};

// One round of the Python side: both variants, one repeat each, in a fresh interpreter.
std::map<std::string, double> pythonRound(int threads, int batch, int steps, int warmup, std::string& torchVersion) {
  const std::string command = std::string("/usr/bin/python3 ") + REEF_SOURCE_DIR + "/bench/cnn_train_step.py" +
                              " --threads " + std::to_string(threads) + " --batch " + std::to_string(batch) +
                              " --steps " + std::to_string(steps) + " --repeats 1 --warmup " + std::to_string(warmup);
  std::map<std::string, double> out;
  for (const Json& result : bench::pythonResults(command)) {
    out[result["variant"].get<std::string>()] = result["ms_per_step"].get<double>();
    torchVersion = result["torch"].get<std::string>();
  }
  if (out.size() != 2)
    throw std::runtime_error("the Python side printed " + std::to_string(out.size()) + " of 2 variants: run `" +
                             command + "`");
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = configureRuntime(argValue(argc, argv, "--threads", 0));
  const int batch = argValue(argc, argv, "--batch", 64);
  const int steps = argValue(argc, argv, "--steps", 100);
  const int rounds = argValue(argc, argv, "--rounds", 5);
  const int warmup = 20;
  try {
    std::printf(
        "CNN training step (vision/cnn, MNIST 28x28, AdamW), batch %d, %d threads\n"
        "median of %d rounds of %d steps; each round times Reef, then both Python variants\n",
        batch, threads, rounds, steps);
    ReefStep reef(batch);
    for (int i = 0; i < warmup; ++i) reef.step();
    std::vector<double> reefTimes;
    std::map<std::string, std::vector<double>> pythonTimes;
    std::string torchVersion;
    // Interleaved rounds, so that drift in this machine's speed affects both sides alike.
    for (int r = 0; r < rounds; ++r) {
      reefTimes.push_back(reef.msPerStep(steps));
      for (const auto& [variant, ms] : pythonRound(threads, batch, steps, warmup, torchVersion))
        pythonTimes[variant].push_back(ms);
    }
    const double reefMs = median(reefTimes);
    for (int r = 0; r < rounds; ++r)
      std::printf("  round %d: reef %.2f, python idiomatic %.2f, python reef-layout %.2f ms/step\n", r, reefTimes[r],
                  pythonTimes["idiomatic"][r], pythonTimes["reef-layout"][r]);
    std::printf("  %-36s %7.2f ms/step %8.0f samples/s\n", "reef (C++ engine)", reefMs, 1000.0 * batch / reefMs);
    for (const char* variant : {"idiomatic", "reef-layout"}) {
      const double ms = median(pythonTimes[variant]);
      const std::string label = std::string("python ") + variant + " (torch " + torchVersion + ")";
      std::printf("  %-36s %7.2f ms/step %8.0f samples/s   reef is %.2fx\n", label.c_str(), ms, 1000.0 * batch / ms,
                  ms / reefMs);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reef-bench-cnn: %s\n", e.what());
    return 1;
  }
  return 0;
}

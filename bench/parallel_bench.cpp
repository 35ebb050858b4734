// Benchmark of data parallelism on this machine: the MNIST CNN's step time with 1 process and with
// `reef launch --nproc 2` on the same global batch, and the bytes each rank sends per step
// (measured on the loopback interface) against the ring all-reduce's theoretical 2(n-1)/n x
// parameter bytes.
//
//   reef-bench-parallel [--steps S]
#include <torch/torch.h>

#include "backend/engine/parallel/data_parallel.h"
#include "backend/engine/parallel/fully_sharded.h"
#include "backend/engine/parallel/process_group.h"
#include "backend/protocol/event_log.h"

#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace fs = std::filesystem;
using reef::Json;

namespace {

uint64_t loopbackBytes() {
  std::ifstream in("/proc/net/dev");
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos || line.substr(0, colon).find("lo") == std::string::npos) continue;
    std::istringstream fields(line.substr(colon + 1));
    uint64_t rx = 0;
    fields >> rx;
    return rx;
  }
  return 0;
}

double medianStepMs(const fs::path& run) {
  std::vector<double> ms;
  for (const auto& e : reef::protocol::readEvents(run / "events.jsonl"))
    if (e.value("t", "") == "metric" && e["values"].contains("perf/step_ms"))
      ms.push_back(e["values"]["perf/step_ms"].get<double>());
  if (ms.size() > 2) ms.erase(ms.begin());  // the first interval includes start-up
  std::sort(ms.begin(), ms.end());
  return ms.empty() ? 0 : ms[ms.size() / 2];
}

int64_t parameters(const fs::path& run) {
  for (const auto& e : reef::protocol::readEvents(run / "events.jsonl"))
    if (e.value("t", "") == "run_started") return e.value("parameters", int64_t(0));
  return 0;
}

// One rank of the MLP measurement (the benchmark starts copies of itself): prints ms per step.
int mlpWorker(const std::string& strategy, int steps) {
  torch::set_num_threads(std::getenv("WORLD_SIZE") ? 1 : 2);
  const reef::engine::DistEnv env = reef::engine::DistEnv::fromEnvironment();
  auto group = reef::engine::ProcessGroup::create(env, torch::kCPU, std::chrono::seconds(120));
  torch::manual_seed(1);
  const int64_t batch = 256 / group->size();
  const torch::Tensor x = torch::randn({batch, 784}), y = torch::randint(0, 10, {batch});
  std::vector<std::shared_ptr<torch::nn::Linear>> layers = {std::make_shared<torch::nn::Linear>(784, 512),
                                                            std::make_shared<torch::nn::Linear>(512, 512),
                                                            std::make_shared<torch::nn::Linear>(512, 10)};
  std::vector<std::unique_ptr<reef::engine::FullyShardedUnit>> units;
  std::vector<torch::Tensor> params;
  reef::engine::NamedTensors named;
  for (size_t i = 0; i < layers.size(); ++i) {
    if (strategy == "fsdp") {
      units.push_back(
          std::make_unique<reef::engine::FullyShardedUnit>("l" + std::to_string(i), layers[i]->ptr(), group));
      params.push_back(units.back()->shard());
    } else {
      for (auto& p : (*layers[i])->parameters()) {
        params.push_back(p);
        named.emplace_back("l" + std::to_string(i) + std::to_string(named.size()), p);
      }
    }
  }
  std::unique_ptr<reef::engine::DataParallel> ddp;
  if (strategy == "ddp") ddp = std::make_unique<reef::engine::DataParallel>(group, named);
  auto step = [&] {
    torch::Tensor h = x;
    for (size_t i = 0; i < layers.size(); ++i) {
      auto run = [&, i](const torch::Tensor& in) { return (*layers[i])->forward(in); };
      h = units.empty() ? run(h) : units[i]->forward(h, run);
      if (i + 1 < layers.size()) h = torch::relu(h);
    }
    torch::nn::functional::cross_entropy(h, y).backward();
    if (ddp) ddp->finishGradients();
    torch::NoGradGuard noGrad;
    for (auto& p : params) {
      p.sub_(p.grad() * 0.01);
      p.mutable_grad() = torch::Tensor();
    }
  };
  for (int i = 0; i < 5; ++i) step();
  group->barrier();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  group->barrier();
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / steps;
  if (group->rank() == 0) std::printf("%f\n", ms);
  return 0;
}

// Runs the MLP measurement with `ranks` copies of this program; returns ms/step and the bytes
// that crossed the loopback interface per rank per step.
std::pair<double, double> mlp(const std::string& strategy, int ranks, int steps) {
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  const uint64_t before = loopbackBytes();
  std::string command;
  const int port = 29000 + static_cast<int>(::getpid() % 1000);
  for (int r = 0; r < ranks; ++r) {
    std::string env = "REEF_BENCH_WORKER=" + strategy + " REEF_BENCH_STEPS=" + std::to_string(steps);
    if (ranks > 1)
      env += " RANK=" + std::to_string(r) + " WORLD_SIZE=" + std::to_string(ranks) +
             " MASTER_ADDR=127.0.0.1 MASTER_PORT=" + std::to_string(port);
    command += env + " " + self + (r ? " > /dev/null &" : " &") + " ";
  }
  command += "wait";
  FILE* out = popen(command.c_str(), "r");
  double ms = 0;
  if (!out || std::fscanf(out, "%lf", &ms) != 1) throw std::runtime_error("the MLP " + strategy + " run failed");
  pclose(out);
  const double bytes = static_cast<double>(loopbackBytes() - before) / ranks / (steps + 5);
  return {ms, bytes};
}

void run(const std::string& command) {
  if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* worker = std::getenv("REEF_BENCH_WORKER"))
    return mlpWorker(worker, std::atoi(std::getenv("REEF_BENCH_STEPS")));
  const int steps = argc > 2 && std::string(argv[1]) == "--steps" ? std::atoi(argv[2]) : 200;
  const fs::path root = fs::temp_directory_path() / ("reef-bench-parallel-" + std::to_string(::getpid()));
  fs::remove_all(root);
  const std::string reef = REEF_BINARY,
                    spec = std::string(REEF_SOURCE_DIR) + "/resources/examples/vision/mnist_cnn.yaml";
  const std::string common =
      " --set trainer.max_steps=" + std::to_string(steps) +
      " --set trainer.log_interval=20 --set trainer.val_interval=1000000 --set trainer.test_at_end=false"
      " --set data.workers=1 --plain > /dev/null 2>&1";
  try {
    std::printf("MNIST CNN, global batch 128, %d steps, this machine's %s cores\n", steps,
                std::to_string(std::thread::hardware_concurrency()).c_str());
    run(reef + " train " + spec + " --run-dir " + (root / "one").string() + " --set data.batch_size=128" + common);
    const double one = medianStepMs(root / "one");
    const uint64_t before = loopbackBytes();
    run(reef + " launch --nproc 2 " + spec + " --run-dir " + (root / "ddp").string() + " --set data.batch_size=64" +
        " --set trainer.threads=1" + common);
    const uint64_t traffic = loopbackBytes() - before;
    const double two = medianStepMs(root / "ddp");
    const int64_t params = parameters(root / "ddp");
    const double perRankPerStep = static_cast<double>(traffic) / 2.0 / steps;
    const double theory = 2.0 * (2 - 1) / 2 * static_cast<double>(params) * 4;
    std::printf("  1 process  (2 threads):          %7.2f ms/step\n", one);
    std::printf("  DDP, 2 ranks (1 thread each):    %7.2f ms/step   speed-up %.2fx\n", two, one / two);
    std::printf(
        "  DDP bytes sent per rank per step: %.0f measured on loopback vs %.0f theoretical "
        "(2(n-1)/n x %lld params x 4 B): ratio %.2f\n",
        perRankPerStep, theory, static_cast<long long>(params), perRankPerStep / theory);

    const double mlpParams = 784.0 * 512 + 512 + 512.0 * 512 + 512 + 512.0 * 10 + 10;
    std::printf("MLP 784-512-512-10 (%.0f params), global batch 256, %d steps\n", mlpParams, steps);
    const auto [oneMs, oneBytes] = mlp("single", 1, steps);
    std::printf("  1 process (2 threads):        %7.2f ms/step\n", oneMs);
    for (const std::string strategy : {"ddp", "fsdp"}) {
      const auto [ms, bytes] = mlp(strategy, 2, steps);
      const double theoryBytes = (strategy == "ddp" ? 2.0 : 3.0) * (2 - 1) / 2 * mlpParams * 4;
      std::printf(
          "  %-4s, 2 ranks (1 thread each): %7.2f ms/step   bytes per rank per step %.0f vs %.0f theoretical "
          "(%s(n-1)/n x params x 4 B): ratio %.2f\n",
          strategy.c_str(), ms, bytes, theoryBytes, strategy == "ddp" ? "2" : "3", bytes / theoryBytes);
    }
    (void)oneBytes;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reef-bench-parallel: %s\n", e.what());
    fs::remove_all(root);
    return 1;
  }
  fs::remove_all(root);
  return 0;
}

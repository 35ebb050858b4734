// Benchmark of data parallelism on this machine: the MNIST CNN's step time with 1 process and with
// `reef launch --nproc 2` on the same global batch, and the bytes each rank sends per step
// (measured on the loopback interface) against the ring all-reduce's theoretical 2(n-1)/n x
// parameter bytes.
//
//   reef-bench-parallel [--steps S]
#include "protocol/event_log.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <unistd.h>
#include <sstream>
#include <string>
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
    if (e.value("t", "") == "metric" && e["values"].contains("perf/step_ms")) ms.push_back(e["values"]["perf/step_ms"].get<double>());
  if (ms.size() > 2) ms.erase(ms.begin());  // the first interval includes start-up
  std::sort(ms.begin(), ms.end());
  return ms.empty() ? 0 : ms[ms.size() / 2];
}

int64_t parameters(const fs::path& run) {
  for (const auto& e : reef::protocol::readEvents(run / "events.jsonl"))
    if (e.value("t", "") == "run_started") return e.value("parameters", int64_t(0));
  return 0;
}

void run(const std::string& command) {
  if (std::system(command.c_str()) != 0) throw std::runtime_error("failed: " + command);
}

}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 2 && std::string(argv[1]) == "--steps" ? std::atoi(argv[2]) : 200;
  const fs::path root = fs::temp_directory_path() / ("reef-bench-parallel-" + std::to_string(::getpid()));
  fs::remove_all(root);
  const std::string reef = REEF_BINARY, spec = std::string(REEF_SOURCE_DIR) + "/resources/examples/vision/mnist_cnn.yaml";
  const std::string common = " --set trainer.max_steps=" + std::to_string(steps) +
                             " --set trainer.log_interval=20 --set trainer.val_interval=1000000 --set trainer.test_at_end=false"
                             " --set data.workers=1 --plain > /dev/null 2>&1";
  try {
    std::printf("MNIST CNN, global batch 128, %d steps, this machine's %s cores\n", steps, std::to_string(std::thread::hardware_concurrency()).c_str());
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
    std::printf("  DDP bytes sent per rank per step: %.0f measured on loopback vs %.0f theoretical "
                "(2(n-1)/n x %lld params x 4 B): ratio %.2f\n",
                perRankPerStep, theory, static_cast<long long>(params), perRankPerStep / theory);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reef-bench-parallel: %s\n", e.what());
    fs::remove_all(root);
    return 1;
  }
  fs::remove_all(root);
  return 0;
}

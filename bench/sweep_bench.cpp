// reef-bench-sweep: Reef's samplers and early stopping against Optuna 3.1 (Debian's
// python3-optuna, bench/sweep_optuna.py) on one family of simulated learning curves, side by side
// in one run, over 20 seeds and the same compute budget (optimizer steps summed over trials):
//   (a) the compute each method needs to reach random search's final best, as a share of the
//       budget random search spent to get it; the final best at equal compute,
//       Reef TPE+ASHA against Optuna TPE + successive halving (univariate, Optuna's default;
//       multivariate beside it), with the first rung at 3 and at 9 steps;
//   (b) with --real: three real sweeps of the MNIST CNN on this machine through `reef sweep`
//       (random, random + ASHA, TPE + ASHA; the same trials each, two at once): the best
//       validation accuracy and the steps they used;
//   (c) TPE's proposal latency at 1,000 finished trials and importance over 1,000 trials.
// The curves: 7 parameters (log-scaled lr, categorical optimizer and batch, momentum only for
// sgd, width, dropout, warm-up); a higher learning rate or a narrower model learns faster early
// and ends worse, so curves cross and early ranks mislead. 81 steps per trial.
#include "backend/protocol/spec.h"
#include "backend/protocol/yaml_json.h"
#include "backend/sweep/importance.h"
#include "backend/sweep/sampler.h"
#include "backend/sweep/stopping_rule.h"
#include "backend/sweep/sweep_store.h"
#include "bench/bench_util.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include <unistd.h>

using namespace reef;
using namespace reef::sweep;

namespace {

constexpr int kSteps = 81;

// Kept identical to simulated_loss() in bench/sweep_optuna.py (checked at start).
double simulatedLoss(const Assignment& a, int step, uint64_t seed) {
  const bool sgd = a["sim.optimizer"] == "sgd";
  const double lr = a["sim.lr"].get<double>(), momentum = sgd ? a["sim.momentum"].get<double>() : 0.0;
  const double batch = a["sim.batch"].get<double>(), width = a["sim.width"].get<double>();
  const double dropout = a["sim.dropout"].get<double>(), warmup = a["sim.warmup"].get<double>();
  const double best = sgd ? -1.0 + std::log10(1.0 - momentum) : -2.5;
  const double d = std::log10(lr) - best;
  const double widthGap = std::log(256.0 / width) / std::log(32.0);
  double q = 0.08 + 0.12 * d * d + 0.4 * std::pow(dropout - 0.2, 2) + 0.015 * std::pow(std::log2(batch) - 5.0, 2) +
             0.15 * widthGap * widthGap + (sgd ? 0.03 : 0.0);
  if (d > 1.2) q += 0.5 * (d - 1.2);
  const double rate = std::min(1.0, 0.25 * std::pow(10.0, 0.15 * std::clamp(d, -2.0, 1.0)) *
                                        std::pow(batch / 64.0, 0.1) / (1.0 + 0.5 * dropout));
  const double x = std::sin(static_cast<double>(seed) * 0.1 + step * 12.9898 + lr * 78.233 + width * 0.37) * 43758.5453;
  const double noise = x - std::floor(x) - 0.5;
  return q + (1.5 - q) * std::exp(-rate * std::max(0.0, step - 0.2 * warmup)) + 0.01 * noise;
}

// How a study searches: its sampler, and its early stopping (rungs from minSteps, eta; 0: none).
struct Search {
  std::string method;
  int minSteps = 0, eta = 3;
  bool multivariate = true;  // TPE only
};

SweepSpec simulatedSweep(const Search& search, uint64_t seed) {
  const std::string text =
      "base: {model: {collection: sim, arch: curves}}\nmethod: " + search.method + "\nseed: " + std::to_string(seed) +
      "\nrun_cap: 1000000\nmetric: {name: loss, goal: minimize}\nparameters:\n"
      "  sim.lr: {distribution: log_uniform, min: 1.0e-4, max: 1.0}\n"
      "  sim.optimizer: [sgd, adam]\n"
      "  sim.momentum: {min: 0.0, max: 0.99, when: {sim.optimizer: sgd}}\n"
      "  sim.batch: [16, 32, 64, 128, 256]\n"
      "  sim.width: {distribution: int_uniform, min: 8, max: 256}\n"
      "  sim.dropout: {min: 0.0, max: 0.6}\n"
      "  sim.warmup: {distribution: int_uniform, min: 0, max: 20}\n" +
      (search.minSteps > 0 ? "early_terminate: {type: asha, eta: " + std::to_string(search.eta) +
                                 ", min_steps: " + std::to_string(search.minSteps) + ", max_steps: 81}\n"
                           : "") +
      "tpe: {multivariate: " + (search.multivariate ? "true" : "false") + "}\n";
  return parseSweep(protocol::parseYaml(text, "bench"), "bench", ".");
}

struct Study {
  std::vector<std::pair<int64_t, double>> completed;  // compute when it completed, its final loss
  int64_t compute = 0;
  int trials = 0;
};

// One sweep, one trial at a time, until `budget` steps have been trained.
Study runReef(const Search& search, uint64_t seed, int64_t budget) {
  const SweepSpec spec = simulatedSweep(search, seed);
  auto sampler = makeSampler(spec);
  auto rule = makeStoppingRule(spec);
  std::vector<Trial> history;
  Study study;
  while (study.compute < budget) {
    Trial t;
    t.number = static_cast<int>(history.size());
    t.params = *sampler->propose(history);
    t.status = TrialStatus::Running;
    history.push_back(t);
    Trial& trial = history.back();
    for (int step = 1; step <= kSteps; ++step) {
      const double v = simulatedLoss(trial.params, step, seed);
      ++study.compute;
      trial.reports[step] = v;
      trial.value = v;
      trial.steps = step;
      if (rule && step < kSteps && rule->judge(history, history.size() - 1, 0).stop) break;
    }
    trial.status = trial.steps == kSteps ? TrialStatus::Completed : TrialStatus::Stopped;
    if (trial.status == TrialStatus::Completed) study.completed.emplace_back(study.compute, *trial.value);
  }
  study.trials = static_cast<int>(history.size());
  return study;
}

double bestAt(const Study& s, int64_t compute) {
  double best = INFINITY;
  for (const auto& [c, v] : s.completed)
    if (c <= compute) best = std::min(best, v);
  return best;
}

// The compute at which the study first completed a trial at least as good as `target`.
double computeToReach(const Study& s, double target) {
  for (const auto& [c, v] : s.completed)
    if (v <= target) return static_cast<double>(c);
  return INFINITY;
}

Study fromJson(const Json& j) {
  Study s;
  for (const auto& c : j["completed"]) s.completed.emplace_back(c[0].get<int64_t>(), c[1].get<double>());
  s.compute = j["compute"].get<int64_t>();
  s.trials = j["trials"].get<int>();
  return s;
}

using Studies = std::map<std::string, std::map<int, Study>>;

double medianOf(const Studies& studies, const std::string& method, int seeds,
                const std::function<double(int seed, const Study&)>& f) {
  std::vector<double> v;
  for (int seed = 1; seed <= seeds; ++seed) v.push_back(f(seed, studies.at(method).at(seed)));
  return bench::median(v);
}

void printTable(const Studies& studies, int seeds, int64_t budget, const std::string& optunaVersion) {
  const auto& random = studies.at("reef_random");
  std::printf("    %-26s %7s %11s %17s\n", "method", "trials", "final best", "to random's best");
  for (const auto& [m, bySeed] : studies) {
    const double trials = medianOf(studies, m, seeds, [](int, const Study& s) { return s.trials; });
    const double best = medianOf(studies, m, seeds, [&](int, const Study& s) { return bestAt(s, budget); });
    const double share = medianOf(studies, m, seeds, [&](int seed, const Study& s) {
      return computeToReach(s, bestAt(random.at(seed), budget)) / static_cast<double>(budget);
    });
    std::printf("    %-26s %7.0f %11.4f %16.0f%%\n", m.c_str(), trials, best, 100 * share);
  }
  int wins = 0;
  for (int seed = 1; seed <= seeds; ++seed)
    wins +=
        bestAt(studies.at("reef_tpe_asha").at(seed), budget) <= bestAt(studies.at("optuna_tpe_sh").at(seed), budget);
  std::printf(
      "    (medians over seeds; compute to reach random search's final best as a share of the budget that\n"
      "     random search spent on it; Optuna %s)\n",
      optunaVersion.c_str());
  std::printf("    Reef TPE+ASHA at least as good as Optuna TPE+SH at equal compute in %d of %d seeds (goal >= 60%%)\n",
              wins, seeds);
}

// Part (a) with early stopping from `minSteps` (rungs minSteps * eta^k below 81 steps).
void simulatedStudies(int seeds, int64_t budget, int minSteps, int eta) {
  std::printf("\n(a) ASHA and successive halving with eta %d, rungs from step %d:\n", eta, minSteps);
  Studies studies;
  const std::string command = std::string("/usr/bin/python3 ") + REEF_SOURCE_DIR + "/bench/sweep_optuna.py --seeds " +
                              std::to_string(seeds) + " --budget " + std::to_string(budget) + " --min-steps " +
                              std::to_string(minSteps) + " --eta " + std::to_string(eta);
  std::string optunaVersion;
  for (const Json& j : bench::pythonLines(command, "method")) {
    studies[j["method"].get<std::string>()][j["seed"].get<int>()] = fromJson(j);
    optunaVersion = j["optuna"].get<std::string>();
  }
  for (int seed = 1; seed <= seeds; ++seed) {
    studies["reef_random"][seed] = runReef({"random"}, seed, budget);
    studies["reef_random_asha"][seed] = runReef({"random", minSteps, eta}, seed, budget);
    studies["reef_tpe"][seed] = runReef({"tpe"}, seed, budget);
    studies["reef_tpe_asha"][seed] = runReef({"tpe", minSteps, eta}, seed, budget);
    studies["reef_tpe_asha_univariate"][seed] = runReef({"tpe", minSteps, eta, false}, seed, budget);
  }
  printTable(studies, seeds, budget, optunaVersion);
}

void checkFormulaAgainstPython() {
  const Json settings = Json::array({{{"lr", 0.003},
                                      {"optimizer", "adam"},
                                      {"momentum", 0.0},
                                      {"batch", 64},
                                      {"width", 128},
                                      {"dropout", 0.2},
                                      {"warmup", 5}},
                                     {{"lr", 0.5},
                                      {"optimizer", "sgd"},
                                      {"momentum", 0.9},
                                      {"batch", 16},
                                      {"width", 9},
                                      {"dropout", 0.55},
                                      {"warmup", 0}}});
  const std::string command =
      std::string("/usr/bin/python3 ") + REEF_SOURCE_DIR + "/bench/sweep_optuna.py --check '" + settings.dump() + "'";
  const auto lines = bench::pythonLines(command, "check");
  for (size_t i = 0; i < settings.size(); ++i) {
    Assignment a = Json::object();
    for (const auto& [k, v] : settings[i].items()) a["sim." + k] = v;
    const int steps[] = {1, 9, 81};
    for (int s = 0; s < 3; ++s)
      if (std::abs(simulatedLoss(a, steps[s], 3) - lines[i]["check"][s].get<double>()) > 1e-9)
        throw std::runtime_error("bench/sweep_optuna.py's curves differ from sweep_bench.cpp's: keep them identical");
  }
}

void latencyAndImportance() {
  const SweepSpec random = simulatedSweep({"random"}, 9);
  auto sampler = makeSampler(random);
  std::vector<Trial> history;
  for (int i = 0; i < 1000; ++i) {
    Trial t;
    t.number = i;
    t.params = *sampler->propose(history);
    t.status = TrialStatus::Completed;
    t.value = simulatedLoss(t.params, kSteps, 9);
    history.push_back(t);
  }
  auto tpe = makeSampler(simulatedSweep({"tpe"}, 9));
  std::vector<double> ms;
  for (int i = 0; i < 20; ++i) {
    const auto start = std::chrono::steady_clock::now();
    tpe->propose(history);
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    history.back().number = 999;  // (same history each time)
  }
  const auto start = std::chrono::steady_clock::now();
  const auto importance = parameterImportance(random.space, history);
  const double importanceMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("\n(c) TPE proposal at 1000 finished trials: %.1f ms (median of 20; goal <= 50 ms)\n", bench::median(ms));
  std::printf("    importance over 1000 trials, 7 parameters: %.0f ms (goal <= 1000 ms):", importanceMs);
  for (const auto& p : importance) std::printf(" %s %.2f", p.key.c_str() + 4, p.importance);
  std::printf("\n");
}

// One real sweep of the MNIST CNN example through `reef sweep`: its best val/acc, steps, wall time.
void realSweep(const std::string& method, bool asha, int trials, const std::filesystem::path& folder) {
  Json base = protocol::loadSpecFile(std::string(REEF_SOURCE_DIR) + "/resources/examples/vision/mnist_cnn.yaml");
  base["trainer"] = {{"max_steps", 900},
                     {"val_interval", 50},
                     {"limit_val_batches", 10},
                     {"log_interval", 50},
                     {"test_at_end", false}};
  base["exp"]["checkpoint_interval"] = 300;
  Json sweep = {{"name", "mnist-" + method + (asha ? "-asha" : "")},
                {"base", base},
                {"method", method},
                {"metric", {{"name", "val/acc"}, {"goal", "maximize"}}},
                {"parameters",
                 {{"optim.lr", {{"distribution", "log_uniform"}, {"min", 1e-4}, {"max", 0.3}}},
                  {"optim.name", {{"values", {"adamw", "sgd"}}}},
                  {"optim.momentum", {{"min", 0.5}, {"max", 0.95}, {"when", {{"optim.name", "sgd"}}}}},
                  {"model.dropout", {{"min", 0.0}, {"max", 0.5}}},
                  {"model.width", {{"values", {16, 32, 48}}}}}},
                {"run_cap", trials},
                {"max_concurrent", 2},
                {"seed", 11},
                {"tpe", {{"startup_trials", 6}}}};
  if (asha) sweep["early_terminate"] = {{"type", "asha"}, {"eta", 3}, {"min_steps", 100}};
  const std::filesystem::path file = folder / (sweep["name"].get<std::string>() + ".yaml");
  std::ofstream(file) << protocol::toYaml(sweep);
  const std::filesystem::path workspace = folder / sweep["name"].get<std::string>();
  const auto start = std::chrono::steady_clock::now();
  const std::string command = std::string(REEF_BINARY) + " sweep " + file.string() + " --workspace " +
                              workspace.string() + " > " + (folder / "controller.out").string() + " 2>&1";
  if (std::system(command.c_str()) != 0) throw std::runtime_error("`" + command + "` failed");
  const double minutes = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60;
  const auto store = sweep::SweepStore::open(workspace, sweep::SweepStore::list(workspace).at(0));
  double best = 0;
  int64_t steps = 0;
  int stopped = 0;
  for (const auto& t : store.load().trials) {
    if (t.status == TrialStatus::Completed && t.value) best = std::max(best, *t.value);
    steps += t.steps;
    stopped += t.status == TrialStatus::Stopped;
  }
  std::printf("    %-16s %6d %10d %12.4f %10lld %9.1f\n", (method + (asha ? "+asha" : "")).c_str(), trials, stopped,
              best, static_cast<long long>(steps), minutes);
}

void realSweeps(int trials) {
  const auto folder = std::filesystem::temp_directory_path() / ("reef-bench-sweep-" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);
  std::printf("\n(b) real sweeps: MNIST CNN, 900 steps per trial, %d trials, 2 at once, ASHA eta 3 from step 100\n",
              trials);
  std::printf("    %-16s %6s %10s %12s %10s %9s\n", "method", "trials", "stopped", "best val/acc", "steps", "minutes");
  realSweep("random", false, trials, folder);
  realSweep("random", true, trials, folder);
  realSweep("tpe", true, trials, folder);
  std::filesystem::remove_all(folder);
}

}  // namespace

int main(int argc, char** argv) {
  const int seeds = bench::argValue(argc, argv, "--seeds", 20);
  const int64_t budget = bench::argValue(argc, argv, "--budget", 60) * int64_t{kSteps};
  const int minSteps = bench::argValue(argc, argv, "--min-steps", 0), eta = bench::argValue(argc, argv, "--eta", 3);
  try {
    checkFormulaAgainstPython();
    std::printf("Sweeps on simulated learning curves: %d seeds, budget %lld steps (%lld full trials of %d steps)\n",
                seeds, static_cast<long long>(budget), static_cast<long long>(budget / kSteps), kSteps);
    // Without --min-steps, two first rungs: at 3 steps the crossing curves mislead, at 9 less.
    for (int first : minSteps > 0 ? std::vector<int>{minSteps} : std::vector<int>{3, 9})
      if (seeds > 0) simulatedStudies(seeds, budget, first, eta);  // (--seeds 0: only the real sweeps)
    latencyAndImportance();
    if (bench::argValue(argc, argv, "--real", 0) > 0) realSweeps(bench::argValue(argc, argv, "--real", 0));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "reef-bench-sweep: %s\n", e.what());
    return 1;
  }
  return 0;
}

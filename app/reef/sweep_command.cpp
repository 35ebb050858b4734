// `reef sweep FILE`, `reef sweep resume|stop|status|list`: hyper-parameter sweeps from the
// command line. The controller runs in this process (in the foreground); its trials are ordinary
// runs, started through the local or a cluster backend, that keep training if it is killed.
#include "app/reef/commands.h"
#include "app/reef/synced_index.h"
#include "app/reef/text_table.h"
#include "backend/cluster/local_backend.h"
#include "backend/cluster/remote_backend.h"
#include "backend/collections/collections.h"
#include "backend/engine/trainer/engine_catalog.h"
#include "backend/protocol/run_dir.h"
#include "backend/protocol/spec.h"
#include "backend/sweep/sweep_controller.h"
#include "backend/sweep/sweep_plan.h"
#include "storage/sweep_index.h"

#include <cmath>
#include <cstdio>
#include <thread>

namespace fs = std::filesystem;

namespace reef::app {

namespace {

struct SweepOptions {
  std::string file, workspace, target = "local", id;
  int parallel = 0;
  bool preview = false, json = false;
};

// Absolute: the sweep's state names its trials' run directories, and the studio reads them from
// another working directory.
fs::path workspaceOf(const SweepOptions& o) {
  return fs::absolute(o.workspace.empty() ? protocol::RunDir::defaultWorkspace() : fs::path(o.workspace));
}

std::unique_ptr<cluster::Backend> backendFor(const std::string& target) {
  if (target == "local") return std::make_unique<cluster::LocalBackend>();
  return std::make_unique<cluster::RemoteBackend>(cluster::ClusterProfiles().get(target));
}

std::string valueText(const std::optional<double>& v) {
  if (!v) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", *v);
  return text;
}

void printStatus(const sweep::SweepStore& store, const sweep::SweepSpec& spec, const sweep::SweepState& state) {
  std::vector<std::vector<std::string>> rows{{"trial", "status", spec.metric.name, "steps", "parameters", "run"}};
  int64_t compute = 0;
  for (const auto& t : state.trials) {
    rows.push_back({std::to_string(t.number), sweep::trialStatusName(t.status), valueText(t.value),
                    std::to_string(t.steps), sweep::SearchSpace::describe(t.params),
                    fs::path(t.runDir).filename().string()});
    compute += t.steps;
  }
  std::printf("sweep %s (%s): %s%s\n", store.id().c_str(), spec.name.empty() ? "unnamed" : spec.name.c_str(),
              state.status.c_str(), state.message.empty() ? "" : (", " + state.message).c_str());
  std::printf("%s", formatTable(rows).c_str());
  std::printf("compute: %lld steps over %zu trials\n", static_cast<long long>(compute), state.trials.size());
  if (const sweep::Trial* best = state.best(spec.metric))
    std::printf("best: trial %d, %s %s, run %s\n", best->number, spec.metric.name.c_str(),
                valueText(best->value).c_str(), best->runDir.c_str());
}

int runController(const sweep::SweepStore& store, const sweep::SweepState& initial, const fs::path& reef) {
  const auto backend = backendFor(initial.target);
  sweep::ControllerOptions options;
  options.reefBinary = reef;
  options.parallel = initial.parallel;
  if (initial.target == "local")
    options.threadsPerTrial = std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / initial.parallel);
  options.print = [](const std::string& line) {
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  sweep::SweepController controller(store, *backend, options);
  const sweep::SweepState end = controller.run();
  printStatus(store, store.spec(), end);
  return end.status == "completed" ? 0 : end.status == "stopped" ? kExitCancelled : kExitFailure;
}

int startSweep(const SweepOptions& o) {
  if (o.file.empty()) throw std::runtime_error("give a sweep file (reef sweep SWEEP.yaml), or resume|stop|status|list");
  sweep::SweepSpec spec = sweep::loadSweepFile(o.file);
  const protocol::Catalog catalog = engine::engineCatalog(collections::builtinRegistry());
  sweep::validateSweep(spec, catalog);
  const Json base = protocol::resolveSpec(spec.base, catalog, spec.baseSource);
  const sweep::SweepPlan plan = sweep::planSweep(spec, base);
  std::printf("%s", sweep::describePlan(spec, plan).c_str());
  if (o.preview) return 0;
  const int parallel = o.parallel > 0 ? o.parallel : spec.maxConcurrent;
  const sweep::SweepStore store = sweep::SweepStore::create(workspaceOf(o), spec, o.target, parallel);
  std::printf("sweep %s: %s (stop it with `reef sweep stop %s`)\n", store.id().c_str(), store.root().c_str(),
              store.id().c_str());
  return runController(store, store.load(), fs::read_symlink("/proc/self/exe"));
}

int resumeSweep(const SweepOptions& o) {
  const sweep::SweepStore store = sweep::SweepStore::open(workspaceOf(o), o.id);
  sweep::SweepState state = store.load();
  if (state.status == "completed") {
    printStatus(store, store.spec(), state);
    return 0;
  }
  if (state.status != "running") {  // stopped or failed: give it another go
    state.status = "running";
    state.message.clear();
    store.save(state);
  }
  if (o.parallel > 0) {
    state.parallel = o.parallel;
    store.save(state);
  }
  return runController(store, state, fs::read_symlink("/proc/self/exe"));
}

int stopSweep(const SweepOptions& o) {
  const sweep::SweepStore store = sweep::SweepStore::open(workspaceOf(o), o.id);
  const auto backend = backendFor(store.load().target);
  sweep::SweepController controller(store, *backend, {});
  if (controller.stop())
    std::printf("sweep %s stopped; its running trials were cancelled (they keep their checkpoints)\n",
                store.id().c_str());
  else
    std::printf("sweep %s: asked its controller to stop it\n", store.id().c_str());
  return 0;
}

Json summaryJson(const storage::SweepSummary& w) {
  return {{"id", w.id},
          {"name", w.name},
          {"method", w.method},
          {"status", w.status},
          {"message", w.message},
          {"target", w.target},
          {"trials", w.trials},
          {"run_cap", w.runCap},
          {"completed", w.completed},
          {"stopped", w.stopped},
          {"failed", w.failed},
          {"running", w.running},
          {"steps", w.steps},
          {"metric", w.metric},
          {"goal", w.goal},
          {"best", w.best ? Json(*w.best) : Json()},
          {"best_trial", w.bestTrial ? Json(*w.bestTrial) : Json()},
          {"best_run", w.bestRun}};
}

// From the run index (brought up to date from the sweep folders first), like `reef runs list`.
int listSweeps(const SweepOptions& o) {
  const fs::path ws = workspaceOf(o);
  storage::WorkspaceIndex index = openSyncedIndex(ws);
  std::vector<std::vector<std::string>> rows{
      {"sweep", "name", "method", "status", "trials", "stopped early", "steps", "metric", "best", "best run"}};
  Json all = Json::array();
  for (const auto& w : storage::querySweeps(index.db())) {
    rows.push_back({w.id, w.name, w.method, w.status, std::to_string(w.trials) + "/" + std::to_string(w.runCap),
                    std::to_string(w.stopped), std::to_string(w.steps), w.metric, valueText(w.best),
                    w.bestRun.empty() ? "-" : w.bestRun});
    all.push_back(summaryJson(w));
  }
  if (o.json)
    std::printf("%s\n", all.dump(2).c_str());
  else if (rows.size() == 1)
    std::printf("no sweeps in %s: start one with `reef sweep SWEEP.yaml`\n", ws.c_str());
  else
    std::printf("%s", formatTable(rows).c_str());
  return 0;
}

}  // namespace

void addSweepCommand(CLI::App& app, int& status) {
  auto o = std::make_shared<SweepOptions>();
  auto* cmd = app.add_subcommand("sweep", "Search hyper-parameters: run a sweep file's trials with early stopping");
  cmd->add_option("file", o->file,
                  "Sweep file (YAML: base, method, metric, parameters, early_terminate, run_cap, ...)");
  cmd->add_option("--workspace", o->workspace,
                  "Workspace of the sweep and its runs (default: $REEF_WORKSPACE or ./workspace)");
  cmd->add_option("--parallel", o->parallel, "Trials at once (default: the file's max_concurrent)")
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--target", o->target, "Where trials run: local, or a cluster profile (reef cluster list)");
  cmd->add_flag("--preview", o->preview, "Print the plan (trials, rungs, steps) and exit");
  cmd->callback([o, &status, cmd] {
    if (cmd->get_subcommands().empty()) status = startSweep(*o);
  });
  auto withId = [&](const char* name, const char* help, int (*action)(const SweepOptions&)) {
    auto* sub = cmd->add_subcommand(name, help);
    sub->add_option("sweep", o->id, "Sweep id (or its unique beginning)")->required();
    sub->add_option("--workspace", o->workspace, "Workspace of the sweep");
    if (std::string(name) == "resume")
      sub->add_option("--parallel", o->parallel, "Trials at once")->check(CLI::Range(1, 1024));
    sub->callback([o, &status, action] { status = action(*o); });
  };
  withId("resume", "Continue a sweep after its controller ended or was killed", resumeSweep);
  withId("stop", "Stop a sweep: cancel its running trials", stopSweep);
  withId("status", "A sweep's trials, their metric and steps, and the best", [](const SweepOptions& x) {
    const sweep::SweepStore store = sweep::SweepStore::open(workspaceOf(x), x.id);
    printStatus(store, store.spec(), store.load());
    return 0;
  });
  auto* list = cmd->add_subcommand("list", "The workspace's sweeps");
  list->add_option("--workspace", o->workspace, "Workspace");
  list->add_flag("--json", o->json, "Print them as JSON");
  list->callback([o, &status] { status = listSweeps(*o); });
}

}  // namespace reef::app

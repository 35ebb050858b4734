#include "app/reef/commands.h"

#include "backend/cluster/remote_backend.h"
#include "backend/cluster/run_backend.h"
#include "backend/cluster/shell_quote.h"
#include "backend/protocol/event_log.h"
#include "backend/protocol/run_dir.h"

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace reef::app {

namespace {

std::string firstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

// What a person wants to know before submitting: reachable, how, and what is there.
Json testConnection(const cluster::ClusterProfile& profile, const std::string& acceptFingerprint) {
  auto ssh = cluster::SshSession::connect(profile, acceptFingerprint);
  Json report = {{"cluster", profile.name},
                 {"reachable", true},
                 {"where", ssh->where()},
                 {"host_key", ssh->hostKeyFingerprint()},
                 {"auth", ssh->authMethod()}};
  const cluster::CommandResult reef = ssh->run(cluster::shellCommand({profile.reefPath, "--version"}));
  report["reef"] = reef.exitCode == 0 ? firstLine(reef.out) : "not runnable (" + firstLine(reef.err) + ")";
  if (profile.scheduler == "slurm") {
    const cluster::CommandResult version = ssh->run("sinfo --version");
    report["slurm"] = version.exitCode == 0 ? firstLine(version.out) : "not found (" + firstLine(version.err) + ")";
    const cluster::CommandResult partitions = ssh->run("sinfo -h -o %P");
    Json list = Json::array();
    std::istringstream lines(partitions.out);
    for (std::string p; std::getline(lines, p);)
      if (!p.empty()) list.push_back(p);
    report["partitions"] = list;
  }
  const cluster::CommandResult workspace = ssh->run(cluster::shellCommand({"test", "-d", profile.remoteWorkspace}));
  report["remote_workspace"] = workspace.exitCode == 0 ? "exists" : "missing (created by the first submit)";
  return report;
}

struct SubmitOptions {
  std::string cluster, spec, workspace;
  std::vector<std::string> overrides;
  bool detach = false;
  int nodes = 0, tasksPerNode = 0, gpusPerNode = -1, cpusPerTask = -1;
  std::string memory, time;
};

fs::path workspaceOr(const std::string& workspace) {
  return workspace.empty() ? protocol::RunDir::defaultWorkspace() : fs::path(workspace);
}

// A run directory, or a run id in the workspace.
fs::path runDirOf(const std::string& reference, const std::string& workspace) {
  if (fs::exists(fs::path(reference) / "spec.yaml")) return reference;
  const fs::path inWorkspace = workspaceOr(workspace) / "runs" / reference;
  if (reference.find('/') == std::string::npos && fs::exists(inWorkspace / "spec.yaml")) return inWorkspace;
  throw std::runtime_error("'" + reference + "' is neither a run directory nor a run id in " +
                           workspaceOr(workspace).string());
}

int exitFor(const cluster::RunState& s) {
  if (s.state == "completed") return 0;
  if (s.state == "cancelled") return 130;
  return 1;
}

// Follows a cluster run to its end, printing its state changes and each new step.
int followRun(cluster::RemoteBackend& backend, const fs::path& runDir) {
  std::string lastState;
  int64_t lastStep = -1;
  protocol::EventReader events(runDir / "events.jsonl");  // only the lines added since the last round
  const cluster::RunState end =
      backend.followToEnd(runDir, std::chrono::milliseconds(1000), [&](const cluster::RunState& s) {
        if (s.state != lastState) {
          std::printf("%s: %s%s\n", runDir.filename().c_str(), s.state.c_str(),
                      s.error.empty() ? "" : (" (" + s.error + ")").c_str());
          lastState = s.state;
        }
        for (const Json& e : events.poll())
          if (e.value("t", "") == "metric" && e.contains("step") && e["step"].get<int64_t>() > lastStep) {
            lastStep = e["step"].get<int64_t>();
            std::string values;
            for (const auto& [k, v] : e["values"].items())
              if (v.is_number() && (k.rfind("val/", 0) == 0 || k == "train/loss")) values += "  " + k + " " + v.dump();
            std::printf("step %lld%s\n", static_cast<long long>(lastStep), values.c_str());
          }
        std::fflush(stdout);
        return true;
      });
  if (!end.error.empty())
    std::fprintf(stderr, "reef: run %s %s: %s\n", runDir.filename().c_str(), end.state.c_str(), end.error.c_str());
  return exitFor(end);
}

void addClusterAddCommand(CLI::App& cluster, int& status) {
  auto add = std::make_shared<cluster::ClusterProfile>();
  auto* addCmd = cluster.add_subcommand("add", "Add or replace a cluster profile");
  addCmd->add_option("name", add->name, "Name of the profile (letters, digits, _ . -)")->required();
  addCmd->add_option("--host", add->host, "Login host")->required();
  addCmd->add_option("--user", add->user, "Account on the cluster")->required();
  addCmd->add_option("--workspace", add->remoteWorkspace, "Absolute folder on the cluster where runs go")->required();
  addCmd->add_option("--port", add->port, "SSH port");
  addCmd->add_option("--key", add->keyFile,
                     "Private key file (default: the ssh-agent, then ~/.ssh/id_*); never a password");
  addCmd->add_option("--known-hosts", add->knownHosts, "known_hosts file (default ~/.ssh/known_hosts)");
  addCmd->add_option("--reef", add->reefPath, "The engine on the cluster (default: reef on its PATH)");
  addCmd->add_option("--scheduler", add->scheduler, "slurm, or ssh for a host without a scheduler")
      ->check(CLI::IsMember({"slurm", "ssh"}));
  addCmd->add_option("--partition", add->partition, "Slurm partition");
  addCmd->add_option("--account", add->account, "Slurm account");
  addCmd->add_option("--qos", add->qos, "Slurm QOS");
  addCmd->add_option("--time", add->timeLimit, "Default time limit (Slurm's format, e.g. 04:00:00)");
  addCmd->add_option("--env", add->environment,
                     "A shell line run before the engine, e.g. 'module load cuda' (repeatable)");
  addCmd->add_option("--nodes", add->nodes, "Default nodes per job");
  addCmd->add_option("--tasks-per-node", add->tasksPerNode, "Default tasks (ranks) per node");
  addCmd->add_option("--gpus-per-node", add->gpusPerNode, "Default GPUs per node");
  addCmd->add_option("--cpus-per-task", add->cpusPerTask, "Default CPUs per task");
  addCmd->add_option("--mem", add->memory, "Default memory per node, e.g. 32G");
  addCmd->add_option("--network-interface", add->networkInterface,
                     "Interface of the compute nodes for the ranks' traffic (GLOO/NCCL_SOCKET_IFNAME), e.g. ib0");
  addCmd->callback([add, &status] {
    cluster::ClusterProfiles profiles;
    profiles.put(*add);
    std::printf("cluster %s saved in %s\n", add->name.c_str(), profiles.file().c_str());
    status = 0;
  });
}

void addClusterListCommand(CLI::App& cluster, int& status) {
  auto listJson = std::make_shared<bool>(false);
  auto* list = cluster.add_subcommand("list", "The cluster profiles");
  list->add_flag("--json", *listJson, "Print the profiles as JSON");
  list->callback([listJson, &status] {
    cluster::ClusterProfiles profiles;
    if (*listJson) {
      Json all = Json::array();
      for (const auto& p : profiles.all()) all.push_back(p.toJson());
      std::printf("%s\n", all.dump(2).c_str());
    } else {
      for (const auto& p : profiles.all())
        std::printf("%-16s %-5s %s@%s:%d  %s\n", p.name.c_str(), p.scheduler.c_str(), p.user.c_str(), p.host.c_str(),
                    p.port, p.remoteWorkspace.c_str());
      if (profiles.all().empty())
        std::printf("no clusters yet: reef cluster add NAME --host ... --user ... --workspace ...\n");
    }
    status = 0;
  });
}

void addClusterTestCommand(CLI::App& cluster, int& status) {
  struct TestOptions {
    std::string name, accept;
    bool json = false;
  };
  auto test = std::make_shared<TestOptions>();
  auto* testCmd = cluster.add_subcommand("test", "Connect and report what the cluster offers");
  testCmd->add_option("name", test->name, "Profile name")->required();
  testCmd->add_option(
      "--accept-host-key", test->accept,
      "Trust the host's key with this fingerprint (SHA256:..., as the refusal showed it) when known_hosts does "
      "not know it; check it with the cluster's administrators first");
  testCmd->add_flag("--json", test->json, "Print the report as JSON");
  testCmd->callback([test, &status] {
    const Json report = testConnection(cluster::ClusterProfiles().get(test->name), test->accept);
    if (test->json)
      std::printf("%s\n", report.dump(2).c_str());
    else
      for (const auto& [k, v] : report.items())
        std::printf("%-17s %s\n", k.c_str(), v.is_string() ? v.get<std::string>().c_str() : v.dump().c_str());
    status = 0;
  });
}

void addClusterRmCommand(CLI::App& cluster, int& status) {
  auto rmName = std::make_shared<std::string>();
  auto* rm = cluster.add_subcommand("rm", "Remove a cluster profile");
  rm->add_option("name", *rmName, "Profile name")->required();
  rm->callback([rmName, &status] {
    if (!cluster::ClusterProfiles().remove(*rmName)) throw std::runtime_error("no cluster named '" + *rmName + "'");
    status = 0;
  });
}

// `reef cluster add|list|test|rm`.
void addClusterSubcommands(CLI::App& app, int& status) {
  auto* cluster = app.add_subcommand("cluster", "Cluster profiles: where `reef submit` sends runs (SSH, Slurm)");
  cluster->require_subcommand(1);
  addClusterAddCommand(*cluster, status);
  addClusterListCommand(*cluster, status);
  addClusterTestCommand(*cluster, status);
  addClusterRmCommand(*cluster, status);
}

// Only what the command line sets: over the spec's and the profile's.
cluster::JobResources commandLineResources(const SubmitOptions& o) {
  cluster::JobResources r;
  r.nodes = o.nodes;
  r.tasksPerNode = o.tasksPerNode;
  r.gpusPerNode = o.gpusPerNode;
  r.cpusPerTask = o.cpusPerTask;
  r.memory = o.memory;
  r.timeLimit = o.time;
  return r;
}

// Submits the run and, unless detached, follows it to its end; returns the command's status.
int submitRun(const SubmitOptions& o) {
  const cluster::ClusterProfile profile = cluster::ClusterProfiles().get(o.cluster);
  std::ifstream in(o.spec);
  if (!in) throw std::runtime_error("cannot read the spec '" + o.spec + "'");
  std::stringstream yaml;
  yaml << in.rdbuf();
  cluster::RemoteBackend backend(profile, commandLineResources(o));
  const cluster::LaunchedRun run = backend.submit({workspaceOr(o.workspace), yaml.str(), o.overrides, {}});
  std::printf("run directory: %s\njob %lld on %s\n", run.runDir.c_str(), static_cast<long long>(run.pid),
              profile.name.c_str());
  std::fflush(stdout);
  if (o.detach) return 0;
  const cluster::FollowLock lock(run.runDir);
  if (!lock.held()) {
    std::printf("%s is followed by another process (the studio's)\n", run.runDir.filename().c_str());
    return 0;
  }
  return followRun(backend, run.runDir);
}

void addSubmitCommand(CLI::App& app, int& status) {
  auto o = std::make_shared<SubmitOptions>();
  auto* submit = app.add_subcommand("submit", "Run an experiment on a cluster and follow it live");
  submit->add_option("spec", o->spec, "Spec YAML file")->required();
  submit->add_option("--cluster", o->cluster, "Cluster profile (reef cluster list)")->required();
  submit->add_option("--set", o->overrides, "Override a spec value, e.g. --set optim.lr=0.01 (repeatable)");
  submit->add_option("--workspace", o->workspace, "Local workspace whose runs/ mirrors the run");
  submit->add_flag("--detach", o->detach, "Return once the job is queued (follow later with reef runs follow)");
  submit->add_option("--nodes", o->nodes, "Nodes (default: the spec's resources.nodes, else the profile's)");
  submit->add_option("--tasks-per-node", o->tasksPerNode, "Tasks per node");
  submit->add_option("--gpus-per-node", o->gpusPerNode, "GPUs per node");
  submit->add_option("--cpus-per-task", o->cpusPerTask, "CPUs per task");
  submit->add_option("--mem", o->memory, "Memory per node");
  submit->add_option("--time", o->time, "Time limit");
  submit->callback([o, &status] { status = submitRun(*o); });
}

void addRunsFollowCommand(CLI::App& runs, int& status) {
  auto follow = std::make_shared<std::pair<std::string, std::string>>();
  auto* followCmd =
      runs.add_subcommand("follow", "Follow a cluster run to its end (after a dropped link or a --detach)");
  followCmd->add_option("run", follow->first, "Run directory or run id")->required();
  followCmd->add_option("--workspace,-w", follow->second, "Workspace folder (default: $REEF_WORKSPACE or ./workspace)");
  followCmd->callback([follow, &status] {
    const fs::path dir = runDirOf(follow->first, follow->second);
    cluster::RemoteBackend backend(cluster::ClusterProfiles().get(cluster::RemoteRun::read(dir).cluster));
    const cluster::FollowLock lock(dir);
    if (!lock.held()) {
      std::printf("%s is followed by another process already\n", dir.filename().c_str());
      status = 0;
      return;
    }
    status = followRun(backend, dir);
  });
}

void addRunsResumeCommand(CLI::App& runs, int& status) {
  struct ResumeOptions {
    std::string run, workspace;
    bool detach = false;
  };
  auto o = std::make_shared<ResumeOptions>();
  auto* cmd = runs.add_subcommand(
      "resume", "Submit a cluster run again: it continues from its latest checkpoint (after a node failure, say)");
  cmd->add_option("run", o->run, "Run directory or run id")->required();
  cmd->add_option("--workspace,-w", o->workspace, "Workspace folder (default: $REEF_WORKSPACE or ./workspace)");
  cmd->add_flag("--detach", o->detach, "Return once the job is queued (follow later with reef runs follow)");
  cmd->callback([o, &status] {
    const fs::path dir = runDirOf(o->run, o->workspace);
    if (!cluster::RemoteRun::isRemote(dir))
      throw std::runtime_error("run '" + dir.filename().string() +
                               "' ran on this machine: continue it with `reef train " + dir.string() + "`");
    const std::string clusterName = cluster::RemoteRun::read(dir).cluster;
    cluster::RemoteBackend backend(cluster::ClusterProfiles().get(clusterName));
    const cluster::LaunchedRun run = backend.resume(dir, {});
    std::printf("job %lld on %s continues %s\n", static_cast<long long>(run.pid), clusterName.c_str(),
                dir.filename().c_str());
    std::fflush(stdout);
    status = 0;
    if (o->detach) return;
    const cluster::FollowLock lock(dir);
    if (lock.held()) status = followRun(backend, dir);
  });
}

void addRunsCancelCommand(CLI::App& runs, int& status) {
  auto cancel = std::make_shared<std::pair<std::string, std::string>>();
  auto* cancelCmd =
      runs.add_subcommand("cancel", "Stop a run: it checkpoints and ends as cancelled (local or on a cluster)");
  cancelCmd->add_option("run", cancel->first, "Run directory or run id")->required();
  cancelCmd->add_option("--workspace,-w", cancel->second, "Workspace folder (default: $REEF_WORKSPACE or ./workspace)");
  cancelCmd->callback([cancel, &status] {
    const fs::path dir = runDirOf(cancel->first, cancel->second);
    int64_t pid = 0;  // a local run's engine; a cluster run is found by its cluster.json
    for (const auto& e : protocol::readEvents(dir / "events.jsonl"))
      if (e.value("t", "") == "run_started" && e.contains("pid")) pid = e["pid"].get<int64_t>();
    if (!cluster::RemoteRun::isRemote(dir) && pid == 0)
      throw std::runtime_error("run '" + dir.filename().string() + "' has not started: nothing to cancel");
    cluster::backendOf(dir)->cancel(dir, pid);
    std::printf("cancel sent to %s\n", cluster::RemoteRun::isRemote(dir)
                                           ? ("job " + cluster::RemoteRun::read(dir).job).c_str()
                                           : ("pid " + std::to_string(pid)).c_str());
    status = 0;
  });
}

void addRunsFetchCommand(CLI::App& runs, int& status) {
  struct FetchOptions {
    std::string run, path, workspace;
  };
  auto fetch = std::make_shared<FetchOptions>();
  auto* fetchCmd =
      runs.add_subcommand("fetch", "Copy a file or folder of a cluster run (a checkpoint, exports) into the local run");
  fetchCmd->add_option("run", fetch->run, "Run directory or run id")->required();
  fetchCmd->add_option("path", fetch->path, "Path inside the run directory, e.g. checkpoints/step-400 or exports")
      ->required();
  fetchCmd->add_option("--workspace,-w", fetch->workspace,
                       "Workspace folder (default: $REEF_WORKSPACE or ./workspace)");
  fetchCmd->callback([fetch, &status] {
    const fs::path dir = runDirOf(fetch->run, fetch->workspace);
    if (!cluster::RemoteRun::isRemote(dir))
      throw std::runtime_error("run '" + dir.filename().string() + "' ran here: its files are in " + dir.string());
    cluster::backendOf(dir)->fetch(dir, fetch->path);
    std::printf("%s\n", (dir / fetch->path).c_str());
    status = 0;
  });
}

// `reef runs follow|cancel|fetch`, added to the `runs` command registered before.
void addRunsSubcommands(CLI::App& app, int& status) {
  CLI::App* runs = app.get_subcommand("runs");
  addRunsFollowCommand(*runs, status);
  addRunsCancelCommand(*runs, status);
  addRunsResumeCommand(*runs, status);
  addRunsFetchCommand(*runs, status);
}

}  // namespace

void addClusterCommands(CLI::App& app, int& status) {
  addClusterSubcommands(app, status);
  addSubmitCommand(app, status);
  addRunsSubcommands(app, status);
}

}  // namespace reef::app

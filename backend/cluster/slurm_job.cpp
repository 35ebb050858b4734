#include "backend/cluster/slurm_job.h"

#include "backend/cluster/shell_quote.h"

#include <sstream>
#include <stdexcept>

namespace reef::cluster {

JobResources JobResources::of(const ClusterProfile& p) {
  return {p.nodes, p.tasksPerNode, p.gpusPerNode, p.cpusPerTask, p.memory, p.timeLimit};
}

JobResources JobResources::fromSpec(const Json& raw) {
  JobResources r;
  if (!raw.is_object() || !raw.contains("resources") || !raw["resources"].is_object()) return r;
  const Json& s = raw["resources"];
  auto number = [&](const char* key, int& out) {
    if (s.contains(key) && s[key].is_number_integer()) out = s[key].get<int>();
  };
  number("nodes", r.nodes);
  number("tasks_per_node", r.tasksPerNode);
  number("gpus_per_node", r.gpusPerNode);
  number("cpus_per_task", r.cpusPerTask);
  if (s.contains("memory") && s["memory"].is_string()) r.memory = s["memory"].get<std::string>();
  if (s.contains("time_limit") && s["time_limit"].is_string()) r.timeLimit = s["time_limit"].get<std::string>();
  return r;
}

void JobResources::apply(const JobResources& o) {
  if (o.nodes > 0) nodes = o.nodes;
  if (o.tasksPerNode > 0) tasksPerNode = o.tasksPerNode;
  if (o.gpusPerNode >= 0) gpusPerNode = o.gpusPerNode;
  if (o.cpusPerTask >= 0) cpusPerTask = o.cpusPerTask;
  if (!o.memory.empty()) memory = o.memory;
  if (!o.timeLimit.empty()) timeLimit = o.timeLimit;
}

std::string sbatchScript(const ClusterProfile& profile, const JobResources& resources, const std::string& remoteRunDir,
                         const std::vector<std::string>& overrides) {
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# Written by Reef for run " << shellQuote(remoteRunDir) << "\n"
    << "set -eo pipefail\n";
  for (const auto& line : profile.environment) s << line << "\n";  // the user's own shell lines
  // One rendezvous port per job; the address (the first node) and ranks come from SLURM_*.
  s << "export MASTER_PORT=$((20000 + SLURM_JOB_ID % 20000))\n";
  if (!profile.networkInterface.empty())
    s << "export GLOO_SOCKET_IFNAME=" << shellQuote(profile.networkInterface)
      << " NCCL_SOCKET_IFNAME=" << shellQuote(profile.networkInterface) << "\n";
  std::vector<std::string> words = {"srun", "--kill-on-bad-exit=1"};
  if (resources.gpusPerNode > 0) {
    // Every task sees its node's GPUs and takes GPU SLURM_LOCALID; NCCL carries the collectives,
    // and one that fails or hangs ends the job after trainer.collective_timeout instead of
    // blocking it until its time limit.
    s << "export TORCH_NCCL_ASYNC_ERROR_HANDLING=1 NCCL_ASYNC_ERROR_HANDLING=1\n";
    words.push_back("--gpu-bind=none");
  }
  s << "cd " << shellQuote(remoteRunDir) << "\n";
  words.insert(words.end(), {profile.reefPath, "train", "spec.yaml", "--run-dir", remoteRunDir, "--plain"});
  for (const auto& o : overrides) {
    words.push_back("--set");
    words.push_back(o);
  }
  s << shellCommand(words) << "\n";
  return s.str();
}

std::string sbatchCommand(const ClusterProfile& p, const JobResources& r, const std::string& remoteRunDir,
                          const std::string& jobName) {
  if (r.gpusPerNode > 0 && r.tasksPerNode > r.gpusPerNode)
    throw std::runtime_error("resources.tasks_per_node is " + std::to_string(r.tasksPerNode) +
                             " but gpus_per_node is " + std::to_string(r.gpusPerNode) +
                             ": NCCL takes one GPU per rank, so set tasks_per_node to at most the GPUs of a node");
  std::vector<std::string> words = {
      "sbatch", "--parsable", "--requeue", "--job-name=" + jobName, "--output=" + remoteRunDir + "/logs/slurm-%j.out",
      // A requeued job writes the same file: keep what the failed start said.
      "--open-mode=append", "--chdir=" + remoteRunDir, "--nodes=" + std::to_string(r.nodes),
      "--ntasks-per-node=" + std::to_string(r.tasksPerNode)};
  if (r.gpusPerNode > 0) words.push_back("--gpus-per-node=" + std::to_string(r.gpusPerNode));
  if (r.cpusPerTask > 0) words.push_back("--cpus-per-task=" + std::to_string(r.cpusPerTask));
  if (!r.memory.empty()) words.push_back("--mem=" + r.memory);
  if (!r.timeLimit.empty()) words.push_back("--time=" + r.timeLimit);
  if (!p.partition.empty()) words.push_back("--partition=" + p.partition);
  if (!p.account.empty()) words.push_back("--account=" + p.account);
  if (!p.qos.empty()) words.push_back("--qos=" + p.qos);
  words.push_back(remoteRunDir + "/job.sh");
  return shellCommand(words);
}

std::string parseJobId(const std::string& out) {
  std::string first = out.substr(0, out.find_first_of(";\n"));
  if (first.empty() || first.find_first_not_of("0123456789") != std::string::npos)
    throw std::runtime_error("sbatch did not print a job id: '" + out + "'");
  return first;
}

namespace {

// `requeueable`: states after which a --requeue job goes back to the queue (squeue's view); only
// sacct's final record says such a job is over.
JobState fromState(std::string state, std::string exitCode, bool finalRecord) {
  // sacct writes "CANCELLED by 0"; squeue and sacct agree on the first word.
  state = state.substr(0, state.find(' '));
  JobState j{state, std::move(exitCode), false, false};
  static const char* terminal[] = {"COMPLETED",     "FAILED",    "CANCELLED", "TIMEOUT",
                                   "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE"};
  static const char* requeueable[] = {"NODE_FAIL", "PREEMPTED"};
  for (const char* t : terminal)
    if (state == t) j.finished = true;
  if (finalRecord)
    for (const char* t : requeueable)
      if (state == t) j.finished = true;
  j.failed = j.finished && state != "COMPLETED";
  return j;
}

}  // namespace

JobState parseSqueue(const std::string& output) {
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) return fromState(line, "", false);
  return {"UNKNOWN", "", false, false};
}

JobState parseSacct(const std::string& output, const std::string& jobId) {
  std::istringstream in(output);
  std::string line;
  JobState last{"UNKNOWN", "", false, false};
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, state, exitCode;
    if (!std::getline(fields, id, '|') || !std::getline(fields, state, '|')) continue;
    std::getline(fields, exitCode, '|');
    if (id == jobId) last = fromState(state, exitCode, true);  // a requeued job has several lines: the last counts
  }
  return last;
}

}  // namespace reef::cluster

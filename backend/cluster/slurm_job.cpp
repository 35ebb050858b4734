#include "cluster/slurm_job.h"

#include "cluster/shell_quote.h"

#include <sstream>
#include <stdexcept>

namespace reef::cluster {

JobResources JobResources::of(const ClusterProfile& p) {
  return {p.nodes, p.tasksPerNode, p.gpusPerNode, p.cpusPerTask, p.memory, p.timeLimit};
}

std::string sbatchScript(const ClusterProfile& profile, const std::string& remoteRunDir,
                         const std::vector<std::string>& overrides) {
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# Written by Reef for run " << shellQuote(remoteRunDir) << "\n"
    << "set -eo pipefail\n";
  for (const auto& line : profile.environment) s << line << "\n";  // the user's own shell lines
  // One rendezvous port per job; the address and ranks come from SLURM_* (reef reads them).
  s << "export MASTER_PORT=$((20000 + SLURM_JOB_ID % 20000))\n"
    << "cd " << shellQuote(remoteRunDir) << "\n";
  std::vector<std::string> words = {"srun", profile.reefPath, "train", "spec.yaml", "--run-dir", remoteRunDir, "--plain"};
  for (const auto& o : overrides) {
    words.push_back("--set");
    words.push_back(o);
  }
  s << shellCommand(words) << "\n";
  return s.str();
}

std::string sbatchCommand(const ClusterProfile& p, const JobResources& r, const std::string& remoteRunDir,
                          const std::string& jobName) {
  std::vector<std::string> words = {"sbatch", "--parsable", "--requeue", "--job-name=" + jobName,
                                     "--output=" + remoteRunDir + "/logs/slurm-%j.out", "--chdir=" + remoteRunDir,
                                     "--nodes=" + std::to_string(r.nodes), "--ntasks-per-node=" + std::to_string(r.tasksPerNode)};
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

JobState fromState(std::string state, std::string exitCode) {
  // sacct writes "CANCELLED by 0"; squeue and sacct agree on the first word.
  state = state.substr(0, state.find(' '));
  JobState j{state, std::move(exitCode), false, false};
  static const char* terminal[] = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY",
                                   "PREEMPTED", "BOOT_FAIL", "DEADLINE"};
  for (const char* t : terminal)
    if (state == t) j.finished = true;
  j.failed = j.finished && state != "COMPLETED";
  return j;
}

}  // namespace

JobState parseSqueue(const std::string& output) {
  std::istringstream in(output);
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) return fromState(line, "");
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
    if (id == jobId) last = fromState(state, exitCode);  // a requeued job has several lines: the last counts
  }
  return last;
}

}  // namespace reef::cluster

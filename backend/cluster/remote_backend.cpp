#include "backend/cluster/remote_backend.h"

#include "backend/cluster/local_backend.h"
#include "backend/cluster/shell_quote.h"
#include "backend/protocol/atomic_file.h"
#include "backend/protocol/event_log.h"
#include "backend/protocol/run_dir.h"
#include "backend/protocol/spec.h"
#include "backend/protocol/yaml_json.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace reef::cluster {

namespace {

std::string readLocal(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string lastLines(const std::string& text, int count) {
  size_t at = text.size();
  while (count-- > 0 && at > 0) {
    const size_t nl = text.rfind('\n', at > 1 ? at - 2 : 0);
    at = nl == std::string::npos ? 0 : nl + 1;
    if (nl == std::string::npos) break;
  }
  std::string out = text.substr(at);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// Saves the follower's view of the run unless the run was resubmitted meanwhile (its cluster.json
// names another job: that submitter's record wins, and the next round reads it).
bool keep(const fs::path& runDir, const RemoteRun& r) {
  if (RemoteRun::read(runDir).job != r.job) return false;
  r.write(runDir);
  return true;
}

}  // namespace

bool RemoteRun::isRemote(const fs::path& runDir) { return fs::exists(runDir / "cluster.json"); }

RemoteRun RemoteRun::read(const fs::path& runDir) {
  const Json j = Json::parse(readLocal(runDir / "cluster.json"), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("job"))
    throw std::runtime_error("'" + runDir.string() + "' is not a cluster run (no readable cluster.json)");
  RemoteRun r{j.value("cluster", ""), j.value("scheduler", ""), j.value("job", ""), j.value("remote_dir", ""),
              j.value("state", "")};
  r.resources = JobResources::fromSpec(Json{{"resources", j.value("resources", Json::object())}});
  r.eventsOffset = j.value("events_offset", uint64_t(0));
  r.eventsSize = j.value("events_size", uint64_t(0));
  return r;
}

void RemoteRun::write(const fs::path& runDir) const {
  const Json res = {{"nodes", resources.nodes},
                    {"tasks_per_node", resources.tasksPerNode},
                    {"gpus_per_node", resources.gpusPerNode},
                    {"cpus_per_task", resources.cpusPerTask},
                    {"memory", resources.memory},
                    {"time_limit", resources.timeLimit}};
  protocol::writeFileAtomically(runDir / "cluster.json", Json{{"cluster", cluster},
                                                              {"scheduler", scheduler},
                                                              {"job", job},
                                                              {"remote_dir", remoteDir},
                                                              {"state", state},
                                                              {"resources", res},
                                                              {"events_offset", eventsOffset},
                                                              {"events_size", eventsSize}}
                                                                 .dump(2) +
                                                             "\n");
}

RemoteBackend::RemoteBackend(ClusterProfile profile, JobResources resources)
    : profile_(std::move(profile)), resources_(resources) {
  profile_.validate();
}

SshSession& RemoteBackend::session() {
  if (!session_) session_ = SshSession::connect(profile_);
  return *session_;
}

LaunchedRun RemoteBackend::submit(const LaunchRequest& request) {
  // Resources: the profile's defaults, the spec's (with its --set overrides), the command line's.
  Json raw = protocol::parseYaml(request.specYaml, "the spec");
  for (const auto& o : request.overrides) protocol::applyOverride(raw, o);
  JobResources resources = JobResources::of(profile_);
  resources.apply(JobResources::fromSpec(raw));
  resources.apply(resources_);
  SshSession& ssh = session();  // before anything is created here: an unreachable cluster leaves no run behind
  protocol::RunDir run = protocol::RunDir::create(request.workspace);
  run.createLayout();
  protocol::writeFileAtomically(run.spec(), request.specYaml);
  RemoteRun r{profile_.name, profile_.scheduler, "",
              profile_.remoteWorkspace + "/runs/" + run.root().filename().string(), ""};
  r.resources = resources;
  ssh.makeDirectories(r.remoteDir + "/logs");
  ssh.write(r.remoteDir + "/spec.yaml", request.specYaml);
  return start(run.root(), r, request.overrides);
}

LaunchedRun RemoteBackend::resume(const fs::path& runDir, const fs::path&) {
  RemoteRun r = RemoteRun::read(runDir);
  const RunState now = jobState(r);
  if (!now.finished && now.state != "UNKNOWN")
    throw std::runtime_error("job " + r.job + " of run '" + runDir.filename().string() + "' is " + now.state + " on " +
                             profile_.name + ": cancel it before resuming");
  return start(runDir, r, {});
}

LaunchedRun RemoteBackend::start(const fs::path& runDir, RemoteRun r, const std::vector<std::string>& overrides) {
  SshSession& ssh = session();
  // Written before the job exists: a crash from here on leaves a run that says it was being submitted.
  r.state = "SUBMITTING";
  r.write(runDir);
  std::string output;
  if (profile_.scheduler == "slurm") {
    ssh.write(r.remoteDir + "/job.sh", sbatchScript(profile_, r.resources, r.remoteDir, overrides), 0755);
    const CommandResult out =
        ssh.run(sbatchCommand(profile_, r.resources, r.remoteDir, "reef-" + runDir.filename().string()));
    if (out.exitCode != 0)
      throw std::runtime_error("sbatch refused the job on " + ssh.where() + ": " + lastLines(out.err + out.out, 5));
    output = out.out;
  } else {
    std::vector<std::string> words = {profile_.reefPath, "train", "spec.yaml", "--run-dir", r.remoteDir, "--plain"};
    for (const auto& o : overrides) {
      words.push_back("--set");
      words.push_back(o);
    }
    std::string script;
    for (const auto& line : profile_.environment) script += line + "\n";
    script +=
        "cd " + shellQuote(r.remoteDir) + "\nexec " + shellCommand(words) + " >> logs/launcher.log 2>&1 < /dev/null\n";
    ssh.write(r.remoteDir + "/job.sh", script, 0755);
    // Detached from the SSH session (the run outlives the link); sh for the redirections, whatever
    // the login shell is.
    const CommandResult out = ssh.run(shellCommand(
        {"sh", "-c", "nohup setsid \"$0\" >/dev/null 2>&1 </dev/null & echo $!", r.remoteDir + "/job.sh"}));
    if (out.exitCode != 0)
      throw std::runtime_error("could not start the engine on " + ssh.where() + ": " + lastLines(out.err, 5));
    output = out.out;
  }
  // The id is the last line: a chatty login script may print before it.
  r.job = parseJobId(lastLines(output, 1));
  r.state = "SUBMITTED";
  r.write(runDir);
  return {runDir, std::stoll(r.job)};
}

void RemoteBackend::cancel(const fs::path& runDir, int64_t) {
  const RemoteRun r = RemoteRun::read(runDir);
  const std::string job = parseJobId(r.job);  // digits only: a pid of -1 would signal every process
  // SIGTERM: the engine checkpoints and ends the run as cancelled (Slurm sends SIGKILL after KillWait).
  const std::string command =
      r.scheduler == "slurm" ? shellCommand({"scancel", job}) : shellCommand({"kill", "-TERM", job});
  const CommandResult out = session().run(command);
  if (out.exitCode != 0)
    throw std::runtime_error("cannot cancel job " + job + " on " + session().where() + ": " +
                             lastLines(out.err + out.out, 3));
}

void RemoteBackend::requestStop(const fs::path& runDir, const std::string& reason) {
  const RemoteRun r = RemoteRun::read(runDir);
  session().write(r.remoteDir + "/stop_request.json",
                  Json{{"reason", reason}, {"time", protocol::unixTime()}}.dump() + "\n");
}

RunState RemoteBackend::jobState(const RemoteRun& r) {
  SshSession& ssh = session();
  if (r.scheduler == "slurm") {
    JobState j = parseSqueue(ssh.run(shellCommand({"squeue", "-h", "-j", r.job, "-o", "%T"})).out);
    if (j.state == "UNKNOWN") {
      // Gone from the queue: accounting, or the job-completion log where accounting storage is off.
      CommandResult acct = ssh.run(shellCommand({"sacct", "-P", "-n", "-j", r.job, "-o", "JobID,State,ExitCode"}));
      if (acct.exitCode != 0 || parseSacct(acct.out, r.job).state == "UNKNOWN")
        acct = ssh.run(shellCommand({"sacct", "-c", "-P", "-n", "-j", r.job, "-o", "JobID,State,ExitCode"}));
      j = parseSacct(acct.out, r.job);
    }
    RunState s{j.state, j.finished, ""};
    if (j.failed)
      s.error = "Slurm job " + r.job + " " + j.state + (j.exitCode.empty() ? "" : " (exit " + j.exitCode + ")");
    return s;
  }
  const CommandResult alive = ssh.run(shellCommand({"kill", "-0", parseJobId(r.job)}));
  return alive.exitCode == 0 ? RunState{"RUNNING", false, ""} : RunState{"EXITED", true, ""};
}

void RemoteBackend::mirrorEvents(const fs::path& runDir, RemoteRun& r) {
  const fs::path local = runDir / "events.jsonl";
  uint64_t have = fs::exists(local) ? fs::file_size(local) : 0;
  if (have != r.eventsSize) {
    if (have > r.eventsSize) {
      fs::resize_file(local, r.eventsSize);  // a copy cut short by a crash: done again below
    } else {
      // Shorter than recorded: the file was replaced or cut by someone else; copy it all again.
      fs::resize_file(local, 0);
      r.eventsOffset = r.eventsSize = 0;
    }
    have = r.eventsSize;
    if (!keep(runDir, r)) return;
  }
  const auto size = session().fileSize(r.remoteDir + "/events.jsonl");
  if (!size || *size <= r.eventsOffset) return;
  std::string bytes = session().read(r.remoteDir + "/events.jsonl", r.eventsOffset, *size - r.eventsOffset);
  const auto end = bytes.rfind('\n');
  if (end == std::string::npos) return;  // a line still being written
  bytes.resize(end + 1);
  {
    std::ofstream out(local, std::ios::binary | std::ios::app);
    out << bytes;
    out.flush();
    if (!out) throw std::runtime_error("cannot append to '" + local.string() + "'");
  }
  r.eventsOffset += bytes.size();
  r.eventsSize = have + bytes.size();
  keep(runDir, r);
}

void RemoteBackend::mirrorLog(const std::string& remote, const fs::path& local) {
  // Logs are for people: a cut line is completed by the next copy, and nothing Reef adds to them.
  const uint64_t have = fs::exists(local) ? fs::file_size(local) : 0;
  const auto size = session().fileSize(remote);
  if (!size || *size <= have) return;
  std::ofstream out(local, std::ios::binary | std::ios::app);
  out << session().read(remote, have, *size - have);
  if (!out) throw std::runtime_error("cannot append to '" + local.string() + "'");
}

RunState RemoteBackend::follow(const fs::path& runDir) {
  RemoteRun r = RemoteRun::read(runDir);
  protocol::RunDir run(runDir);
  run.createLayout();
  if (r.state == "SUBMITTING")
    throw std::runtime_error("run '" + runDir.filename().string() +
                             "' was being submitted when its submitter stopped; look for a "
                             "job named reef-" +
                             runDir.filename().string() + " on " + r.cluster + " (squeue --name), or resume it");
  // The scheduler first: a job that has finished has written everything it will write.
  const auto now = std::chrono::steady_clock::now();
  auto cached = lastJobState_.find(r.job);
  const bool due = cached == lastJobState_.end() || now - cached->second.first > std::chrono::seconds(10) ||
                   cached->second.second.finished;
  RunState job = due ? jobState(r) : cached->second.second;
  mirrorEvents(runDir, r);
  mirrorLog(r.remoteDir + "/logs/rank-0.log", run.rankLog(0));
  const std::string jobLog = r.scheduler == "slurm" ? "logs/slurm-" + r.job + ".out" : "logs/launcher.log";
  mirrorLog(r.remoteDir + "/" + jobLog, runDir / jobLog);
  // The engine rewrites spec.yaml resolved when it starts.
  if (auto size = session().fileSize(r.remoteDir + "/spec.yaml");
      size && (!fs::exists(run.spec()) || fs::file_size(run.spec()) != *size))
    protocol::writeFileAtomically(run.spec(), session().read(r.remoteDir + "/spec.yaml", 0, *size));
  const RunState mirrored = stateFromEvents(runDir);
  // The other ranks' logs (each names its host) at the scheduler's pace, and once more at the end.
  if (due || mirrored.finished)
    for (int rank = 1; rank < r.resources.nodes * r.resources.tasksPerNode; ++rank)
      mirrorLog(r.remoteDir + "/logs/rank-" + std::to_string(rank) + ".log", run.rankLog(rank));
  // The run says it finished: the scheduler is asked now, not at its next turn. (Its run_finished
  // is the engine's last line, so nothing written later can be missing from the copy.)
  if (mirrored.finished && !due) job = jobState(r);
  if (due || mirrored.finished) lastJobState_[r.job] = {now, job};
  if (job.state != r.state) {
    r.state = job.state;
    keep(runDir, r);
  }

  // A queued or running job is what counts (a resumed run's earlier run_finished does not), unless
  // the scheduler has forgotten the job and the run says it finished.
  if (!job.finished && !(job.state == "UNKNOWN" && mirrored.finished)) return job;
  if (mirrored.finished) return mirrored;
  // The job ended without the engine saying so (it never started, or was killed): the run fails
  // with the scheduler's word and the end of the job's output.
  const std::string output = lastLines(readLocal(runDir / jobLog), 8);
  RunState failed{
      "failed", true,
      (job.error.empty() ? "the engine on " + profile_.name + " stopped without finishing the run" : job.error) +
          (output.empty() ? "" : ": " + output)};
  const std::string line =
      Json{{"v", 1},    {"t", "run_finished"},  {"time", protocol::unixTime()}, {"status", "failed"},
           {"step", 0}, {"error", failed.error}}
          .dump() +
      "\n";
  {
    std::ofstream out(run.events(), std::ios::binary | std::ios::app);
    out << line;
    out.flush();
    if (!out) throw std::runtime_error("cannot append to '" + run.events().string() + "'");
  }
  r.eventsSize += line.size();
  keep(runDir, r);
  return failed;
}

void RemoteBackend::fetch(const fs::path& runDir, const std::string& relative) {
  if (relative.empty() || relative.find("..") != std::string::npos || relative[0] == '/')
    throw std::runtime_error("'" + relative + "' is not a path inside the run directory");
  const RemoteRun r = RemoteRun::read(runDir);
  SshSession& ssh = session();
  const std::string base = r.remoteDir + "/" + relative;
  const CommandResult list = ssh.run(shellCommand({"find", base, "-type", "f"}));
  if (list.exitCode != 0) throw std::runtime_error("'" + relative + "' does not exist in the run on " + profile_.name);
  std::istringstream files(list.out);
  for (std::string remote; std::getline(files, remote);) {
    if (remote.rfind(r.remoteDir + "/", 0) != 0) continue;
    const fs::path local = runDir / remote.substr(r.remoteDir.size() + 1);
    fs::create_directories(local.parent_path());
    ssh.download(remote, local);
  }
}

RunState RemoteBackend::followToEnd(const fs::path& runDir, std::chrono::milliseconds interval,
                                    const std::function<bool(const RunState&)>& onUpdate) {
  std::chrono::seconds backoff(1);
  while (true) {
    try {
      const RunState s = follow(runDir);
      backoff = std::chrono::seconds(1);
      if (onUpdate && !onUpdate(s)) return s;
      if (s.finished) return s;
      std::this_thread::sleep_for(interval);
      session().keepAlive();
    } catch (const HostKeyError&) {
      throw;
    } catch (const SshError& e) {
      session_.reset();
      if (onUpdate && !onUpdate({"disconnected", false, e.what()})) throw;
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::seconds(30));
    }
  }
}

}  // namespace reef::cluster

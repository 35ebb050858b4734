#include "cluster/remote_backend.h"

#include "cluster/local_backend.h"
#include "cluster/shell_quote.h"
#include "protocol/run_dir.h"

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

void writeLocal(const fs::path& path, const std::string& bytes) {
  const fs::path temp = path.string() + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << bytes;
    if (!out) throw std::runtime_error("cannot write '" + temp.string() + "'");
  }
  fs::rename(temp, path);
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

double now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

bool RemoteRun::isRemote(const fs::path& runDir) { return fs::exists(runDir / "cluster.json"); }

RemoteRun RemoteRun::read(const fs::path& runDir) {
  const Json j = Json::parse(readLocal(runDir / "cluster.json"), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("job"))
    throw std::runtime_error("'" + runDir.string() + "' is not a cluster run (no readable cluster.json)");
  return {j.value("cluster", ""), j.value("scheduler", ""), j.value("job", ""), j.value("remote_dir", "")};
}

void RemoteRun::write(const fs::path& runDir) const {
  writeLocal(runDir / "cluster.json",
             Json{{"cluster", cluster}, {"scheduler", scheduler}, {"job", job}, {"remote_dir", remoteDir}}.dump(2) + "\n");
}

RemoteBackend::RemoteBackend(ClusterProfile profile, JobResources resources)
    : profile_(std::move(profile)), resources_(resources.timeLimit.empty() ? JobResources::of(profile_) : resources) {
  profile_.validate();
}

SshSession& RemoteBackend::session() {
  if (!session_) session_ = SshSession::connect(profile_);
  return *session_;
}

LaunchedRun RemoteBackend::submit(const LaunchRequest& request) {
  protocol::RunDir run = protocol::RunDir::create(request.workspace);
  run.createLayout();
  writeLocal(run.spec(), request.specYaml);
  const std::string remoteDir = profile_.remoteWorkspace + "/runs/" + run.root().filename().string();
  SshSession& ssh = session();
  ssh.makeDirectories(remoteDir + "/logs");
  ssh.write(remoteDir + "/spec.yaml", request.specYaml);
  return start(run.root(), remoteDir, request.overrides);
}

LaunchedRun RemoteBackend::resume(const fs::path& runDir, const fs::path&) {
  const RemoteRun r = RemoteRun::read(runDir);
  return start(runDir, r.remoteDir, {});
}

LaunchedRun RemoteBackend::start(const fs::path& runDir, const std::string& remoteDir, const std::vector<std::string>& overrides) {
  SshSession& ssh = session();
  RemoteRun r{profile_.name, profile_.scheduler, "", remoteDir};
  if (profile_.scheduler == "slurm") {
    ssh.write(remoteDir + "/job.sh", sbatchScript(profile_, remoteDir, overrides), 0755);
    const CommandResult out = ssh.run(sbatchCommand(profile_, resources_, remoteDir, "reef-" + runDir.filename().string()));
    if (out.exitCode != 0)
      throw std::runtime_error("sbatch refused the job on " + ssh.where() + ": " + lastLines(out.err + out.out, 5));
    r.job = parseJobId(out.out);
  } else {
    std::vector<std::string> words = {profile_.reefPath, "train", "spec.yaml", "--run-dir", remoteDir, "--plain"};
    for (const auto& o : overrides) {
      words.push_back("--set");
      words.push_back(o);
    }
    std::string script;
    for (const auto& line : profile_.environment) script += line + "\n";
    script += "cd " + shellQuote(remoteDir) + "\nexec " + shellCommand(words) + "\n";
    ssh.write(remoteDir + "/job.sh", script, 0755);
    // Detached from the SSH session: the run outlives the link.
    const CommandResult out = ssh.run("nohup setsid " + shellQuote(remoteDir + "/job.sh") + " > " +
                                      shellQuote(remoteDir + "/logs/launcher.log") + " 2>&1 < /dev/null & echo $!");
    if (out.exitCode != 0 || out.out.empty())
      throw std::runtime_error("could not start the engine on " + ssh.where() + ": " + lastLines(out.err, 5));
    r.job = out.out.substr(0, out.out.find('\n'));
  }
  r.write(runDir);
  return {runDir, std::stoll(r.job)};
}

void RemoteBackend::cancel(const fs::path& runDir, int64_t) {
  const RemoteRun r = RemoteRun::read(runDir);
  // SIGTERM: the engine checkpoints and ends the run as cancelled (Slurm sends SIGKILL after KillWait).
  const std::string command = r.scheduler == "slurm" ? shellCommand({"scancel", r.job}) : shellCommand({"kill", "-TERM", r.job});
  const CommandResult out = session().run(command);
  if (out.exitCode != 0)
    throw std::runtime_error("cannot cancel job " + r.job + " on " + session().where() + ": " + lastLines(out.err + out.out, 3));
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
    if (j.failed) s.error = "Slurm job " + r.job + " " + j.state + (j.exitCode.empty() ? "" : " (exit " + j.exitCode + ")");
    return s;
  }
  const CommandResult alive = ssh.run(shellCommand({"kill", "-0", r.job}));
  return alive.exitCode == 0 ? RunState{"RUNNING", false, ""} : RunState{"EXITED", true, ""};
}

bool RemoteBackend::mirror(const std::string& remote, const fs::path& local, bool wholeLines) {
  const uint64_t have = fs::exists(local) ? fs::file_size(local) : 0;
  const auto size = session().fileSize(remote);
  if (!size || *size <= have) return false;
  std::string bytes = session().read(remote, have, *size - have);
  if (wholeLines) {
    const auto end = bytes.rfind('\n');
    if (end == std::string::npos) return false;  // a line still being written
    bytes.resize(end + 1);
  }
  std::ofstream out(local, std::ios::binary | std::ios::app);
  out << bytes;
  out.flush();
  if (!out) throw std::runtime_error("cannot append to '" + local.string() + "'");
  return true;
}

RunState RemoteBackend::follow(const fs::path& runDir) {
  const RemoteRun r = RemoteRun::read(runDir);
  protocol::RunDir run(runDir);
  run.createLayout();
  // The state first: a run that is finished has written everything it will write.
  const RunState job = jobState(r);
  mirror(r.remoteDir + "/events.jsonl", run.events(), true);
  mirror(r.remoteDir + "/logs/rank-0.log", run.rankLog(0), false);
  const std::string jobLog = r.scheduler == "slurm" ? "logs/slurm-" + r.job + ".out" : "logs/launcher.log";
  mirror(r.remoteDir + "/" + jobLog, runDir / jobLog, false);
  // The engine rewrites spec.yaml resolved when it starts.
  if (auto size = session().fileSize(r.remoteDir + "/spec.yaml"); size && (!fs::exists(run.spec()) || fs::file_size(run.spec()) != *size))
    writeLocal(run.spec(), session().read(r.remoteDir + "/spec.yaml", 0, *size));

  RunState own = stateFromEvents(runDir);
  if (own.finished) return own;
  if (!job.finished) return job;
  // The job ended without the engine saying so (it never started, or was killed): the run fails
  // with the scheduler's word and the end of the job's output.
  const std::string output = lastLines(readLocal(runDir / jobLog), 8);
  RunState failed{"failed", true, (job.error.empty() ? "the engine on " + profile_.name + " stopped without finishing the run" : job.error) +
                                     (output.empty() ? "" : ": " + output)};
  std::ofstream(run.events(), std::ios::app)
      << Json{{"v", 1}, {"t", "run_finished"}, {"time", now()}, {"status", "failed"}, {"step", 0}, {"error", failed.error}}.dump()
      << "\n";
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
    const auto size = ssh.fileSize(remote);
    writeLocal(local, size ? ssh.read(remote, 0, *size) : std::string());
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

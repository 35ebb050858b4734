#include "backend/cluster/local_backend.h"

#include "backend/cluster/slurm_job.h"
#include "backend/protocol/atomic_file.h"
#include "backend/protocol/event_log.h"
#include "backend/protocol/run_dir.h"
#include "backend/protocol/spec.h"
#include "backend/protocol/yaml_json.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::cluster {

int64_t spawnDetached(const std::vector<std::string>& argv, const fs::path& logFile) {
  if (argv.empty()) throw std::invalid_argument("nothing to start");
  // Everything the children need is prepared here: after fork() in a threaded program (the
  // studio) only async-signal-safe calls are allowed, so no allocation happens there.
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const std::string log = logFile.string();
  static const char kExecFailed[] = "reef: cannot start the engine (exec failed)\n";
  int pipeFds[2];
  if (::pipe2(pipeFds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  const pid_t child = ::fork();
  if (child < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (child == 0) {
    // First child: new session, fork the worker, report its pid, exit (so nobody waits on it).
    ::close(pipeFds[0]);
    ::setsid();
    const pid_t worker = ::fork();
    if (worker == 0) {
      const int in = ::open("/dev/null", O_RDONLY);
      const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (in >= 0) ::dup2(in, STDIN_FILENO);
      if (out >= 0) {
        ::dup2(out, STDOUT_FILENO);
        ::dup2(out, STDERR_FILENO);
      }
      ::execv(args[0], args.data());
      (void)!::write(STDERR_FILENO, kExecFailed, sizeof kExecFailed - 1);
      ::_exit(127);
    }
    const int64_t pid = worker;
    (void)!::write(pipeFds[1], &pid, sizeof pid);
    ::_exit(worker > 0 ? 0 : 1);
  }
  ::close(pipeFds[1]);
  int64_t pid = 0;
  const ssize_t got = ::read(pipeFds[0], &pid, sizeof pid);
  ::close(pipeFds[0]);
  ::waitpid(child, nullptr, 0);
  if (got != sizeof pid || pid <= 0) throw std::runtime_error("could not start " + argv[0]);
  return pid;
}

namespace {

// The engine command for `target` (a spec or a run directory) on this machine: `reef train`, or
// `reef launch --nproc N` when the spec asks for resources.tasks_per_node: N > 1 (data, tensor,
// expert parallelism or FSDP over local ranks).
std::vector<std::string> engineCommand(const fs::path& reefBinary, const Json& rawSpec, const std::string& target) {
  const JobResources resources = JobResources::fromSpec(rawSpec);
  if (resources.nodes > 1)
    throw std::runtime_error(
        "resources.nodes is " + std::to_string(resources.nodes) +
        ", but a run on this machine uses one node: submit it to a cluster, or set resources.nodes: 1");
  if (resources.tasksPerNode > 1)
    return {reefBinary.string(), "launch", "--nproc", std::to_string(resources.tasksPerNode), target};
  return {reefBinary.string(), "train", target};
}

}  // namespace

LaunchedRun LocalBackend::submit(const LaunchRequest& request) {
  if (!fs::exists(request.reefBinary))
    throw std::runtime_error("the engine '" + request.reefBinary.string() + "' does not exist: build reef first");
  protocol::RunDir run = protocol::RunDir::create(request.workspace);
  {
    std::ofstream spec(run.spec(), std::ios::trunc);
    spec << request.specYaml;
    spec.flush();
    if (!spec) throw std::runtime_error("cannot write '" + run.spec().string() + "'");
  }
  Json raw = protocol::parseYaml(request.specYaml, run.spec().string());
  for (const auto& o : request.overrides) protocol::applyOverride(raw, o);
  std::vector<std::string> argv = engineCommand(request.reefBinary, raw, run.spec().string());
  argv.insert(argv.end(), {"--run-dir", run.root().string(), "--plain"});
  for (const auto& o : request.overrides) {
    argv.push_back("--set");
    argv.push_back(o);
  }
  return {run.root(), spawnDetached(argv, run.logs() / "launcher.log")};
}

LaunchedRun LocalBackend::resume(const fs::path& runDir, const fs::path& reefBinary) {
  protocol::RunDir run(runDir);
  if (!fs::exists(run.spec())) throw std::runtime_error("'" + runDir.string() + "' is not a run directory");
  run.createLayout();
  std::vector<std::string> argv = engineCommand(reefBinary, protocol::loadSpecFile(run.spec()), runDir.string());
  argv.emplace_back("--plain");
  return {runDir, spawnDetached(argv, run.logs() / "launcher.log")};
}

bool LocalBackend::alive(const fs::path& runDir, int64_t pid) {
  if (pid <= 0) return false;
  std::ifstream cmdline("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::stringstream text;
  text << cmdline.rdbuf();
  return cmdline && text.str().find(runDir.filename().string()) != std::string::npos;
}

void LocalBackend::requestStop(const fs::path& runDir, const std::string& reason) {
  // The engine never reads half a request.
  protocol::writeFileAtomically(protocol::RunDir(runDir).stopRequest(),
                                Json{{"reason", reason}, {"time", protocol::unixTime()}}.dump() + "\n");
}

void LocalBackend::cancel(const fs::path& runDir, int64_t pid) {
  if (!alive(runDir, pid))
    throw std::runtime_error("run '" + runDir.filename().string() + "' has no process running here (pid " +
                             std::to_string(pid) + " is gone or belongs to something else)");
  if (::kill(static_cast<pid_t>(pid), SIGTERM) != 0)
    throw std::runtime_error("cannot stop pid " + std::to_string(pid) + ": " + std::strerror(errno));
}

RunState stateFromEvents(const fs::path& runDir) {
  RunState state{"running", false, ""};
  for (const auto& e : protocol::readEvents(runDir / "events.jsonl")) {
    if (e.value("t", "") == "run_started") state = {"running", false, ""};  // a resumed run starts again
    if (e.value("t", "") == "run_finished") {
      state.state = e.value("status", "finished");
      state.finished = true;
      state.error = e.contains("error") && e["error"].is_string() ? e["error"].get<std::string>() : "";
    }
  }
  return state;
}

RunState LocalBackend::follow(const fs::path& runDir) { return stateFromEvents(runDir); }

}  // namespace reef::cluster

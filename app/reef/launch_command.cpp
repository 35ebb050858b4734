// `reef launch --nproc N SPEC`: N ranks of `reef train` on this machine, with the rendezvous
// variables torchrun users know. Signals are forwarded; when one rank fails, the others are ended
// and the launcher names the rank and its error.
#include "app/reef/commands.h"
#include "backend/protocol/json.h"
#include "backend/protocol/run_dir.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace fs = std::filesystem;

namespace reef::app {

namespace {

struct LaunchOptions {
  int nproc = 2;
  std::string spec, runDir, workspace;
  std::vector<std::string> sets;
  bool plain = false;
};

volatile sig_atomic_t forwardedSignal = 0;
extern "C" void onLauncherSignal(int s) { forwardedSignal = s; }

int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error(std::string("cannot find a free port for the rendezvous: ") + std::strerror(errno));
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string lastLines(const fs::path& file, int count) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (static_cast<int>(lines.size()) > count) lines.erase(lines.begin());
  }
  std::string out;
  for (const auto& l : lines) out += "    " + l + "\n";
  return out;
}

// Like `reef train RUN_DIR`, a run directory as the spec continues that run.
protocol::RunDir runDirFor(const LaunchOptions& o) {
  if (o.runDir.empty() && fs::is_directory(o.spec)) return protocol::RunDir(o.spec);
  if (!o.runDir.empty()) return protocol::RunDir(o.runDir);
  return protocol::RunDir::create(o.workspace.empty() ? protocol::RunDir::defaultWorkspace() : fs::path(o.workspace));
}

// Each rank runs this same executable's `reef train` on the shared run directory.
std::vector<std::string> trainArgs(const LaunchOptions& o, const protocol::RunDir& run) {
  std::vector<std::string> args = {"/proc/self/exe", "train", o.spec, "--run-dir", run.root().string()};
  if (o.plain) args.push_back("--plain");
  for (const auto& s : o.sets) {
    args.push_back("--set");
    args.push_back(s);
  }
  args[0] = fs::read_symlink("/proc/self/exe").string();
  return args;
}

// SIGINT and SIGTERM are only recorded here; the wait loop forwards them to the ranks once.
void catchLauncherSignals() {
  struct sigaction action {};
  action.sa_handler = onLauncherSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

fs::path rankOutput(const protocol::RunDir& run, int rank) {
  return run.logs() / ("rank-" + std::to_string(rank) + ".out");
}

// The child's side of the fork: the rendezvous variables, then `reef train` in its place.
[[noreturn]] void execRank(int rank, int nproc, int port, const fs::path& output, const std::vector<char*>& argv,
                           pid_t launcher) {
  ::setpgid(0, 0);  // a terminal's Ctrl-C reaches the launcher, which forwards it once
  // A launcher killed outright (SIGKILL, the OOM killer) cannot end its ranks: the kernel does.
  // Left running, they would write the run directory beside the job that resumes it.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != launcher) ::_exit(1);  // it died before the line above
  ::setenv("RANK", std::to_string(rank).c_str(), 1);
  ::setenv("LOCAL_RANK", std::to_string(rank).c_str(), 1);
  ::setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
  ::setenv("MASTER_ADDR", "127.0.0.1", 1);
  ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
  if (rank > 0) {  // rank 0 keeps the terminal (its progress bar); the others write files
    std::FILE* f = std::fopen(output.c_str(), "a");
    if (f) {
      ::dup2(fileno(f), STDOUT_FILENO);
      ::dup2(fileno(f), STDERR_FILENO);
    }
  }
  ::execv(argv[0], argv.data());
  std::perror("reef launch: exec");
  ::_exit(127);
}

// Forks the ranks and records their pids and output files in logs/launch.json.
std::vector<pid_t> startRanks(const LaunchOptions& o, const protocol::RunDir& run, int port,
                              const std::vector<char*>& argv) {
  std::vector<pid_t> pids(static_cast<size_t>(o.nproc));
  reef::Json ranks = reef::Json::array();
  for (int r = 0; r < o.nproc; ++r) {
    const fs::path output = rankOutput(run, r);
    const pid_t launcher = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) execRank(r, o.nproc, port, output, argv, launcher);
    pids[static_cast<size_t>(r)] = pid;
    ranks.push_back({{"rank", r}, {"pid", pid}, {"output", output.string()}});
  }
  std::ofstream(run.logs() / "launch.json") << reef::Json({{"port", port}, {"ranks", ranks}}).dump(2) << "\n";
  return pids;
}

std::string describeFailure(const protocol::RunDir& run, int rank, pid_t pid, int status) {
  std::ostringstream why;
  why << "rank " << rank << " (pid " << pid << ") "
      << (WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status))
                              : "exited with status " + std::to_string(WEXITSTATUS(status)));
  const fs::path log = rankOutput(run, rank);
  if (rank > 0 && fs::exists(log)) why << "; its last output:\n" << lastLines(log, 8);
  return why.str();
}

// Waits for every rank to end; the first failure ends the others. Returns the launcher's exit code.
int waitForRanks(std::vector<pid_t>& pids, const protocol::RunDir& run) {
  auto signalAll = [&](int s) {
    for (pid_t pid : pids)
      if (pid > 0) ::kill(pid, s);
  };
  int exitCode = 0, forwarded = 0;
  size_t alive = pids.size();
  std::string failure;
  auto deadline = std::chrono::steady_clock::time_point::max();
  while (alive > 0) {
    if (forwardedSignal && !forwarded) {
      forwarded = forwardedSignal;
      signalAll(forwarded);
    }
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) {
      if (std::chrono::steady_clock::now() > deadline) signalAll(SIGKILL);  // they did not stop in time
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    const auto it = std::find(pids.begin(), pids.end(), pid);
    if (it == pids.end()) continue;
    const int rank = static_cast<int>(it - pids.begin());
    *it = -1;
    --alive;
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    const bool cancelled = WIFEXITED(status) && WEXITSTATUS(status) == kExitCancelled;
    if (ok || (cancelled && forwarded)) continue;
    if (cancelled) {
      exitCode = exitCode ? exitCode : kExitCancelled;
      continue;
    }
    if (failure.empty()) {
      failure = describeFailure(run, rank, pid, status);
      exitCode = kExitFailure;
      // The others would wait for it in their next collective: end them now.
      signalAll(SIGTERM);
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    }
  }
  if (!failure.empty()) {
    std::fprintf(stderr, "reef launch: %s\nreef launch: ended the other ranks; run directory %s\n", failure.c_str(),
                 run.root().c_str());
    return exitCode;
  }
  if (forwarded) return kExitCancelled;
  return exitCode;
}

int launch(const LaunchOptions& o) {
  if (o.nproc < 1) throw std::runtime_error("--nproc must be at least 1");
  const protocol::RunDir run = runDirFor(o);
  run.createLayout();
  const int port = freePort();
  std::vector<std::string> args = trainArgs(o, run);
  std::vector<char*> argv;  // points into args, which outlives every fork
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  catchLauncherSignals();
  std::vector<pid_t> pids = startRanks(o, run, port, argv);
  return waitForRanks(pids, run);
}

}  // namespace

void addLaunchCommand(CLI::App& app, int& status) {
  auto o = std::make_shared<LaunchOptions>();
  auto* cmd = app.add_subcommand("launch", "Train with N processes on this machine (data parallel, Gloo or NCCL)");
  cmd->add_option("--nproc", o->nproc, "Number of ranks")->check(CLI::Range(1, 1024));
  cmd->add_option("spec", o->spec, "Spec YAML file, or a run directory to continue")->required();
  cmd->add_option("--run-dir", o->runDir, "Run directory shared by the ranks (default: a new one in the workspace)");
  cmd->add_option("--workspace", o->workspace, "Workspace for the new run directory");
  cmd->add_option("--set", o->sets, "Override a spec value (repeatable)")->allow_extra_args(false);
  cmd->add_flag("--plain", o->plain, "Plain progress lines even on a terminal");
  cmd->callback([o, &status] { status = launch(*o); });
}

}  // namespace reef::app

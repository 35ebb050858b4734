// `reef launch --nproc N SPEC`: N ranks of `reef train` on this machine, with the rendezvous
// variables torchrun users know. Signals are forwarded; when one rank fails, the others are ended
// and the launcher names the rank and its error.
#include "cli/commands.h"
#include "protocol/json.h"
#include "protocol/run_dir.h"

#include <netinet/in.h>
#include <signal.h>
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

namespace reef::engine {

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

int launch(const LaunchOptions& o) {
  if (o.nproc < 1) throw std::runtime_error("--nproc must be at least 1");
  // Like `reef train RUN_DIR`, a run directory as the spec continues that run.
  const bool continuing = o.runDir.empty() && fs::is_directory(o.spec);
  const protocol::RunDir run = continuing        ? protocol::RunDir(o.spec)
                               : o.runDir.empty() ? protocol::RunDir::create(o.workspace.empty() ? protocol::RunDir::defaultWorkspace()
                                                                                                  : fs::path(o.workspace))
                                                  : protocol::RunDir(o.runDir);
  run.createLayout();
  const int port = freePort();
  std::vector<std::string> args = {"/proc/self/exe", "train", o.spec, "--run-dir", run.root().string()};
  if (o.plain) args.push_back("--plain");
  for (const auto& s : o.sets) {
    args.push_back("--set");
    args.push_back(s);
  }
  const std::string self = fs::read_symlink("/proc/self/exe").string();
  args[0] = self;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  struct sigaction action {};
  action.sa_handler = onLauncherSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);

  std::vector<pid_t> pids(static_cast<size_t>(o.nproc));
  reef::Json ranks = reef::Json::array();
  for (int r = 0; r < o.nproc; ++r) {
    const fs::path output = run.logs() / ("rank-" + std::to_string(r) + ".out");
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
      ::setpgid(0, 0);  // a terminal's Ctrl-C reaches the launcher, which forwards it once
      ::setenv("RANK", std::to_string(r).c_str(), 1);
      ::setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
      ::setenv("WORLD_SIZE", std::to_string(o.nproc).c_str(), 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
      if (r > 0) {  // rank 0 keeps the terminal (its progress bar); the others write files
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
    pids[static_cast<size_t>(r)] = pid;
    ranks.push_back({{"rank", r}, {"pid", pid}, {"output", output.string()}});
  }
  std::ofstream(run.logs() / "launch.json") << reef::Json({{"port", port}, {"ranks", ranks}}).dump(2) << "\n";

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
      std::ostringstream why;
      why << "rank " << rank << " (pid " << pid << ") "
          << (WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status))
                                  : "exited with status " + std::to_string(WEXITSTATUS(status)));
      const fs::path log = run.logs() / ("rank-" + std::to_string(rank) + ".out");
      if (rank > 0 && fs::exists(log)) why << "; its last output:\n" << lastLines(log, 8);
      failure = why.str();
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

}  // namespace reef::engine

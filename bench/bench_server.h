#pragma once
// What the serving benchmarks share: running a command for its output, `reef serve` in a child
// process on a free port, and percentiles.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

namespace reef::bench {

// Runs `command` through the shell and returns what it printed; throws when it fails.
inline std::string run(const std::string& command) {
  FILE* p = popen(command.c_str(), "r");
  if (!p) throw std::runtime_error("cannot start " + command);
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  if (pclose(p) != 0) throw std::runtime_error("`" + command + "` failed");
  return out;
}

// `reef serve ARGS --port 0` in a child process, its log in /tmp; killed (SIGTERM) on destruction.
class ServeProcess {
 public:
  ServeProcess(const std::string& reef, const std::string& args)
      : log_("/tmp/reef-bench-serve-" + std::to_string(getpid()) + ".log") {
    std::remove(log_.c_str());
    pid_ = fork();
    if (pid_ == 0) {
      const std::string command = "exec " + reef + " serve " + args + " --port 0 > " + log_ + " 2>&1";
      execl("/bin/sh", "sh", "-c", command.c_str(), nullptr);
      _exit(127);
    }
    for (int i = 0; i < 600 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      std::ifstream in(log_);
      std::string line;
      while (std::getline(in, line))
        if (auto at = line.find("on http://127.0.0.1:"); at != std::string::npos)
          port_ = std::stoi(line.substr(at + 20));
    }
    if (port_ == 0) throw std::runtime_error("reef serve did not start: see " + log_);
  }
  ~ServeProcess() {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& log() const { return log_; }
  // True while the server process has not exited.
  bool alive() const { return waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  std::string log_;
  pid_t pid_ = -1;
  int port_ = 0;
};

inline double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v.empty() ? NAN : v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

}  // namespace reef::bench

#include "backend/engine/trainer/system_stats.h"

#include <unistd.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

namespace reef::engine {

namespace {

struct ProcStat {
  double cpuSeconds = 0;
  long threads = 0;
  double rssMb = 0;
};

ProcStat readProcStat() {
  ProcStat s;
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return s;
  // Fields after the command name (which may hold spaces) start after the last ')'.
  std::istringstream rest(line.substr(line.rfind(')') + 2));
  std::string field;
  double utime = 0, stime = 0;
  long rssPages = 0;
  for (int i = 3; rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) stime = std::stod(field);
    if (i == 20) s.threads = std::stol(field);
    if (i == 24) {
      rssPages = std::stol(field);
      break;
    }
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  s.cpuSeconds = (utime + stime) / ticks;
  s.rssMb = static_cast<double>(rssPages) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
  return s;
}

// The machine's memory in use (MemTotal - MemAvailable), in percent; NaN where unknown.
double machineMemoryUsedPercent() {
  std::ifstream in("/proc/meminfo");
  double total = 0, available = -1;
  std::string key;
  double kb = 0;
  std::string unit;
  while (in >> key >> kb) {
    std::getline(in, unit);
    if (key == "MemTotal:") total = kb;
    if (key == "MemAvailable:") available = kb;
  }
  return total > 0 && available >= 0 ? 100.0 * (total - available) / total : NAN;
}

}  // namespace

SystemStats::SystemStats(std::string gpuProgram)
    : gpus_(std::move(gpuProgram)),
      lastCpuSeconds_(readProcStat().cpuSeconds),
      lastTime_(std::chrono::steady_clock::now()) {
  gpus_.take();  // the first query runs while training starts
}

Json SystemStats::sample(int64_t step) {
  const ProcStat s = readProcStat();
  const auto now = std::chrono::steady_clock::now();
  const double wall = std::chrono::duration<double>(now - lastTime_).count();
  const double cpu = wall > 0 ? 100.0 * (s.cpuSeconds - lastCpuSeconds_) / wall : 0.0;
  lastCpuSeconds_ = s.cpuSeconds;
  lastTime_ = now;
  Json fields = {{"step", step},
                 {"cpu_percent", cpu},
                 {"rss_mb", s.rssMb},
                 {"threads", s.threads},
                 {"mem_used_percent", machineMemoryUsedPercent()}};
  fields.update(gpus_.take());
  return fields;
}

}  // namespace reef::engine

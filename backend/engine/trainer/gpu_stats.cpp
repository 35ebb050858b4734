#include "backend/engine/trainer/gpu_stats.h"

#include "backend/protocol/subprocess.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <regex>
#include <sstream>

namespace reef::engine {

namespace {

std::string findOnPath(const std::string& program) {
  if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0 ? program : "";
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = (std::filesystem::path(dir.empty() ? "." : dir) / program).string();
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return {};
}

Json query(const std::string& path, const std::string& devices) {
  std::vector<std::string> argv = {path, "--query-gpu=index,utilization.gpu,memory.used,memory.total",
                                   "--format=csv,noheader,nounits"};
  if (!devices.empty()) argv.push_back("--id=" + devices);
  const auto out = protocol::programOutput(argv);
  return out ? parseNvidiaSmi(*out) : Json::object();
}

}  // namespace

Json parseNvidiaSmi(const std::string& csv) {
  static const std::regex line(R"(^\s*(\d+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*$)");
  Json fields = Json::object();
  std::istringstream in(csv);
  for (std::string text; std::getline(in, text);) {
    std::smatch m;
    if (!std::regex_match(text, m, line)) continue;
    const std::string gpu = "gpu" + m[1].str() + "_";
    fields[gpu + "util_percent"] = std::stod(m[2].str());
    fields[gpu + "mem_used_mb"] = std::stod(m[3].str());
    fields[gpu + "mem_total_mb"] = std::stod(m[4].str());
  }
  return fields;
}

GpuStats::GpuStats(std::string program) : path_(findOnPath(program)) {
  const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
  if (visible && std::regex_match(visible, std::regex(R"(\d+(,\d+)*)"))) devices_ = visible;
}

Json GpuStats::take() {
  if (!available()) return Json::object();
  Json done = Json::object();
  if (pending_.valid()) {
    if (pending_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return done;
    done = pending_.get();
  }
  pending_ = std::async(std::launch::async, query, path_, devices_);
  return done;
}

}  // namespace reef::engine

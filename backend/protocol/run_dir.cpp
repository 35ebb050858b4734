#include "backend/protocol/run_dir.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::protocol {

fs::path RunDir::defaultWorkspace() {
  if (const char* env = std::getenv("REEF_WORKSPACE"); env && *env) return env;
  return "workspace";
}

std::string RunDir::newRunId() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &utc);
  std::random_device rd;
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, "%06x", static_cast<unsigned>(rd() & 0xffffff));
  return std::string(stamp) + "-" + suffix;
}

RunDir RunDir::create(const fs::path& workspace) {
  fs::create_directories(workspace / "runs");
  for (int attempt = 0; attempt < 16; ++attempt) {
    fs::path dir = workspace / "runs" / newRunId();
    std::error_code ec;
    if (fs::create_directory(dir, ec)) {
      RunDir run(dir);
      run.createLayout();
      return run;
    }
    if (ec) throw std::runtime_error("cannot create run directory '" + dir.string() + "': " + ec.message());
  }
  throw std::runtime_error("cannot find a free run id under '" + (workspace / "runs").string() + "'");
}

fs::path RunDir::checkpoint(int64_t step) const { return checkpoints() / ("step-" + std::to_string(step)); }

fs::path RunDir::rankLog(int rank) const { return logs() / ("rank-" + std::to_string(rank) + ".log"); }

std::optional<int64_t> parseCheckpointDirName(const std::string& name) {
  if (name.rfind("step-", 0) != 0 || name.size() == 5) return std::nullopt;
  int64_t step = 0;
  for (size_t i = 5; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || step > (INT64_MAX - 9) / 10) return std::nullopt;
    step = step * 10 + (name[i] - '0');
  }
  return step;
}

std::vector<int64_t> RunDir::checkpointSteps() const {
  std::vector<int64_t> steps;
  std::error_code ec;
  if (!fs::is_directory(checkpoints(), ec)) return steps;
  for (const auto& entry : fs::directory_iterator(checkpoints(), ec))
    if (entry.is_directory())
      if (auto step = parseCheckpointDirName(entry.path().filename().string())) steps.push_back(*step);
  std::sort(steps.begin(), steps.end());
  return steps;
}

void RunDir::createLayout() const {
  for (const auto& dir : {root_, checkpoints(), logs()}) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error("cannot create '" + dir.string() + "': " + ec.message());
  }
}

}  // namespace reef::protocol

#include "backend/sweep/sweep_store.h"

#include "backend/protocol/atomic_file.h"
#include "backend/protocol/event_log.h"
#include "backend/protocol/run_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::sweep {

namespace {

fs::path sweepsFolder(const fs::path& workspace) { return workspace / "sweeps"; }

Json readJson(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + path.string() + "'");
  Json json = Json::parse(in, nullptr, false);
  if (json.is_discarded()) throw std::runtime_error("'" + path.string() + "' is not valid JSON");
  return json;
}

}  // namespace

const Trial* SweepState::best(const Objective& metric) const {
  const Trial* out = nullptr;
  for (const auto& t : trials)
    if (t.status == TrialStatus::Completed && t.value && std::isfinite(*t.value) &&
        (!out || metric.better(*t.value, *out->value)))
      out = &t;
  return out;
}

Json SweepState::toJson() const {
  Json list = Json::array();
  for (const auto& t : trials) list.push_back(t.toJson());
  return {{"status", status},        {"message", message},  {"target", target}, {"parallel", parallel},
          {"started_at", startedAt}, {"ended_at", endedAt}, {"trials", list}};
}

SweepState SweepState::fromJson(const Json& json) {
  SweepState s;
  s.status = json.value("status", "running");
  s.message = json.value("message", "");
  s.target = json.value("target", "local");
  s.parallel = json.value("parallel", 1);
  s.startedAt = json.value("started_at", 0.0);
  s.endedAt = json.value("ended_at", 0.0);
  for (const auto& t : json.value("trials", Json::array())) s.trials.push_back(Trial::fromJson(t));
  return s;
}

SweepStore SweepStore::create(const fs::path& workspace, const SweepSpec& sweep, const std::string& target,
                              int parallel) {
  const std::string id = protocol::RunDir::newRunId();
  const fs::path root = sweepsFolder(workspace) / id;
  fs::create_directories(root);
  SweepStore store(id, root);
  protocol::writeFileAtomically(root / "sweep.json", sweep.toJson().dump(2) + "\n");
  SweepState state;
  state.target = target;
  state.parallel = parallel;
  state.startedAt = protocol::unixTime();
  store.save(state);
  return store;
}

std::vector<std::string> SweepStore::list(const fs::path& workspace) {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(sweepsFolder(workspace), ec))
    if (fs::exists(e.path() / "sweep.json")) ids.push_back(e.path().filename().string());
  std::sort(ids.begin(), ids.end());
  return ids;
}

SweepStore SweepStore::open(const fs::path& workspace, const std::string& id) {
  std::vector<std::string> matches;
  for (const auto& candidate : list(workspace))
    if (candidate == id)
      return SweepStore(candidate, sweepsFolder(workspace) / candidate);
    else if (!id.empty() && candidate.rfind(id, 0) == 0)
      matches.push_back(candidate);
  if (matches.size() == 1) return SweepStore(matches[0], sweepsFolder(workspace) / matches[0]);
  if (matches.empty())
    throw std::runtime_error("no sweep '" + id + "' in " + sweepsFolder(workspace).string() +
                             ": `reef sweep list` shows them");
  std::string names;
  for (const auto& m : matches) names += " " + m;
  throw std::runtime_error("'" + id + "' names several sweeps:" + names + "; give more of the id");
}

bool SweepStore::controllerRunning() const {
  const int fd = ::open(lockFile().c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0;
  ::close(fd);  // (releases the probe's lock)
  return held;
}

SweepSpec SweepStore::spec() const {
  return SweepSpec::fromJson(readJson(root_ / "sweep.json"), (root_ / "sweep.json").string());
}

SweepState SweepStore::load() const { return SweepState::fromJson(readJson(root_ / "state.json")); }

void SweepStore::save(const SweepState& state) const {
  protocol::writeFileAtomically(root_ / "state.json", state.toJson().dump(1) + "\n");
}

void SweepStore::log(const std::string& line) const {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &utc);
  std::ofstream out(logFile(), std::ios::app);
  out << stamp << "  " << line << "\n";
}

}  // namespace reef::sweep

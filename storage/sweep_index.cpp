#include "storage/sweep_index.h"

#include "backend/protocol/json.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>

namespace fs = std::filesystem;

namespace reef::storage {

namespace {

Json readJson(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + file.string() + "'");
  Json j = Json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw std::runtime_error("'" + file.string() + "' is not a JSON object");
  return j;
}

// Changes whenever the controller replaces state.json (it always writes a new file).
std::string stampOf(const fs::path& state) {
  const auto time = fs::last_write_time(state).time_since_epoch().count();
  return std::to_string(fs::file_size(state)) + ":" + std::to_string(time);
}

std::optional<double> finiteNumber(const Json& j) {
  if (!j.is_number()) return std::nullopt;
  const double v = j.get<double>();
  return std::isfinite(v) ? std::optional<double>(v) : std::nullopt;
}

std::string runIdOf(const Json& trial) {
  const std::string dir = trial.value("run_dir", "");
  return dir.empty() ? "" : fs::path(dir).lexically_normal().filename().string();
}

// The best completed trial with a finite value, as SweepState::best chooses it.
std::optional<int> bestTrial(const Json& trials, bool maximize) {
  std::optional<int> best;
  double bestValue = 0;
  for (const auto& t : trials) {
    const auto v = finiteNumber(t.value("value", Json()));
    if (t.value("status", "") != "completed" || !v) continue;
    if (!best || (maximize ? *v > bestValue : *v < bestValue)) best = t.value("number", 0), bestValue = *v;
  }
  return best;
}

int64_t upsertSweep(Database& db, const std::string& id, const fs::path& dir, const Json& spec, const Json& state,
                    const std::string& stamp) {
  const Json metric = spec.value("metric", Json::object());
  const std::string goal = metric.value("goal", "minimize");
  const Json trials = state.value("trials", Json::array());
  auto s = db.prepare(
      "INSERT INTO sweeps(sweep_id, path, name, method, metric, goal, status, message, target, parallel, run_cap, "
      "started, ended, best_trial, state_stamp) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
      "ON CONFLICT(sweep_id) DO UPDATE SET path = excluded.path, name = excluded.name, method = excluded.method, "
      "metric = excluded.metric, goal = excluded.goal, status = excluded.status, message = excluded.message, "
      "target = excluded.target, parallel = excluded.parallel, run_cap = excluded.run_cap, started = "
      "excluded.started, ended = excluded.ended, best_trial = excluded.best_trial, state_stamp = "
      "excluded.state_stamp");
  s.bind(1, id).bind(2, dir.string()).bind(3, spec.value("name", "")).bind(4, spec.value("method", ""));
  s.bind(5, metric.value("name", "")).bind(6, goal).bind(7, state.value("status", "running"));
  s.bind(8, state.value("message", "")).bind(9, state.value("target", "local")).bind(10, state.value("parallel", 1));
  s.bind(11, spec.value("run_cap", 0)).bind(12, state.value("started_at", 0.0)).bind(13, state.value("ended_at", 0.0));
  s.bind(14, bestTrial(trials, goal == "maximize")).bind(15, stamp).run();
  auto find = db.prepare("SELECT id FROM sweeps WHERE sweep_id = ?");
  find.bind(1, id);
  find.step();
  return find.int64(0);
}

void writeTrials(Database& db, int64_t sweep, const Json& trials) {
  db.prepare("DELETE FROM sweep_trials WHERE sweep_id = ?").bind(1, sweep).run();
  auto s = db.prepare(
      "INSERT OR REPLACE INTO sweep_trials(sweep_id, number, run_id, status, value, steps, params, error, started, "
      "ended) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const auto& t : trials) {
    s.bind(1, sweep).bind(2, t.at("number").get<int64_t>()).bind(3, runIdOf(t)).bind(4, t.value("status", "pending"));
    s.bind(5, finiteNumber(t.value("value", Json()))).bind(6, t.value("steps", int64_t{0}));
    s.bind(7, t.value("params", Json::object()).dump()).bind(8, t.value("error", ""));
    s.bind(9, t.value("started_at", 0.0)).bind(10, t.value("ended_at", 0.0)).run();
  }
}

// Indexes one sweep folder unless its state.json is the one already indexed; returns whether it wrote.
bool syncSweep(Database& db, const fs::path& dir) {
  const fs::path state = dir / "state.json";
  const std::string id = dir.filename().string();
  const std::string stamp = stampOf(state);
  auto known = db.prepare("SELECT state_stamp, path FROM sweeps WHERE sweep_id = ?");
  known.bind(1, id);
  if (known.step() && known.text(0) == stamp && known.text(1) == dir.string()) return false;
  const Json spec = readJson(dir / "sweep.json");
  const Json current = readJson(state);
  Transaction t(db);
  writeTrials(db, upsertSweep(db, id, dir, spec, current, stamp), current.value("trials", Json::array()));
  t.commit();
  return true;
}

}  // namespace

SweepSyncReport syncSweeps(Database& db, const fs::path& workspace) {
  SweepSyncReport report;
  std::set<std::string> present;
  std::error_code ec;
  const fs::path root = workspace / "sweeps";
  if (fs::is_directory(root, ec))
    for (const auto& entry : fs::directory_iterator(root, ec)) {
      if (!entry.is_directory() || !fs::exists(entry.path() / "state.json")) continue;
      present.insert(entry.path().filename().string());
      ++report.sweeps;
      try {
        report.updated += syncSweep(db, entry.path());
      } catch (const SqliteError&) {
        throw;
      } catch (const std::exception& e) {
        report.warnings.push_back("sweep " + entry.path().filename().string() + ": not indexed: " + e.what());
      }
    }
  std::vector<std::string> gone;
  auto rows = db.prepare("SELECT sweep_id FROM sweeps");
  while (rows.step())
    if (!present.count(rows.text(0))) gone.push_back(rows.text(0));
  auto drop = db.prepare("DELETE FROM sweeps WHERE sweep_id = ?");
  for (const auto& id : gone) drop.bind(1, id).run();
  report.removed = static_cast<int>(gone.size());
  return report;
}

std::vector<SweepSummary> querySweeps(Database& db) {
  auto s = db.prepare(
      "SELECT s.sweep_id, s.name, s.method, s.metric, s.goal, s.status, s.message, s.target, s.run_cap, s.started, "
      "s.ended, s.best_trial, b.value, b.run_id, coalesce(c.counted, 0), coalesce(c.completed, 0), "
      "coalesce(c.stopped, 0), coalesce(c.failed, 0), coalesce(c.running, 0), coalesce(c.steps, 0) "
      "FROM sweeps s LEFT JOIN sweep_trials b ON b.sweep_id = s.id AND b.number = s.best_trial "
      "LEFT JOIN (SELECT sweep_id, sum(status != 'lost') AS counted, sum(status = 'completed') AS completed, "
      "sum(status = 'stopped') AS stopped, sum(status = 'failed') AS failed, "
      "sum(status IN ('running', 'stopping')) AS running, sum(steps) AS steps FROM sweep_trials GROUP BY sweep_id) c "
      "ON c.sweep_id = s.id ORDER BY s.started, s.sweep_id");
  std::vector<SweepSummary> out;
  while (s.step()) {
    SweepSummary w;
    w.id = s.text(0), w.name = s.text(1), w.method = s.text(2), w.metric = s.text(3);
    w.goal = s.text(4), w.status = s.text(5), w.message = s.text(6), w.target = s.text(7);
    w.runCap = static_cast<int>(s.int64(8));
    w.started = s.real(9), w.ended = s.real(10);
    if (!s.isNull(11)) w.bestTrial = static_cast<int>(s.int64(11));
    w.best = s.optionalReal(12);
    w.bestRun = s.isNull(13) ? "" : s.text(13);
    w.trials = static_cast<int>(s.int64(14)), w.completed = static_cast<int>(s.int64(15));
    w.stopped = static_cast<int>(s.int64(16)), w.failed = static_cast<int>(s.int64(17));
    w.running = static_cast<int>(s.int64(18)), w.steps = s.int64(19);
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace reef::storage

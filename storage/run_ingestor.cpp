#include "storage/run_ingestor.h"

#include "backend/protocol/event_log.h"
#include "backend/protocol/yaml_json.h"
#include "storage/annotations.h"
#include "storage/params.h"

#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>

namespace fs = std::filesystem;

namespace reef::storage {

namespace {

constexpr size_t kMaxWarnings = 20;

// The run row's fields that events change, kept in memory during a sync and written per batch.
struct RunState {
  int64_t id = 0;
  int64_t offset = 0;
  int64_t malformed = 0;
  std::string status = "pending";
  std::string host, error, specHash, engineVersion;
  std::optional<int64_t> pid, worldSize, totalSteps, lastStep;
  std::optional<double> started, finished, lastEvent;
};

std::string readFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::optional<double> numberOf(const Json& v) {
  if (v.is_number()) return v.get<double>();
  if (v.is_null()) return NAN;  // the engine writes non-finite values as null
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "nan" || s == "NaN") return NAN;
    if (s == "inf" || s == "Infinity") return INFINITY;
    if (s == "-inf" || s == "-Infinity") return -INFINITY;
  }
  return std::nullopt;
}

std::optional<int64_t> optionalInt(const Json& e, const char* key) {
  if (!e.contains(key) || !e[key].is_number_integer()) return std::nullopt;
  return e[key].get<int64_t>();
}

void warn(IngestReport& report, const std::string& message) {
  if (report.warnings.size() < kMaxWarnings) report.warnings.push_back(message);
}

int64_t experimentId(Database& db, const std::string& name) {
  auto insert = db.prepare("INSERT OR IGNORE INTO experiments(name, created) VALUES(?, ?)");
  insert.bind(1, name).bind(2, protocol::unixTime()).run();
  auto find = db.prepare("SELECT id FROM experiments WHERE name = ?");
  find.bind(1, name);
  find.step();
  return find.int64(0);
}

// The run's monitored metric decides "best" in its own direction.
void applyMonitorDirection(MetricWriter& writer, int64_t run, const Json& spec) {
  const Json exp = spec.is_object() ? spec.value("exp", Json::object()) : Json::object();
  if (exp.contains("monitor") && exp["monitor"].is_string() && exp.contains("monitor_mode"))
    writer.setDirection(run, exp["monitor"].get<std::string>(), exp["monitor_mode"] == "max");
}

// Reads spec.yaml (the resolved spec) into the run row and its params.
void indexSpec(Database& db, MetricWriter& writer, int64_t run, const fs::path& runDir, IngestReport& report) {
  const fs::path specPath = runDir / "spec.yaml";
  if (!fs::exists(specPath)) return;
  Json spec;
  try {
    spec = protocol::parseYaml(readFile(specPath), specPath.string());
  } catch (const std::exception& e) {
    warn(report, std::string("spec not indexed: ") + e.what());
    return;
  }
  if (!spec.is_object()) return;
  const Json model = spec.value("model", Json::object());
  const Json exp = spec.value("exp", Json::object());
  const std::string name = exp.value("name", "");
  auto update = db.prepare(
      "UPDATE runs SET spec = ?, collection = ?, arch = ?, name = ?, seed = ?, experiment_id = ? "
      "WHERE id = ?");
  update.bind(1, spec.dump())
      .bind(2, model.value("collection", ""))
      .bind(3, model.value("arch", ""))
      .bind(4, name)
      .bind(5, exp.contains("seed") && exp["seed"].is_number_integer()
                   ? std::optional<int64_t>(exp["seed"].get<int64_t>())
                   : std::nullopt)
      .bind(6, experimentId(db, name.empty() ? "default" : name))
      .bind(7, run)
      .run();
  auto clear = db.prepare("DELETE FROM params WHERE run_id = ?");
  clear.bind(1, run).run();
  auto insert = db.prepare("INSERT INTO params(run_id, key, type, num, text) VALUES(?,?,?,?,?)");
  for (const auto& p : flattenSpec(spec))
    insert.bind(1, run).bind(2, p.key).bind(3, p.type).bind(4, p.num).bind(5, p.text).run();
  applyMonitorDirection(writer, run, spec);
}

void indexAnnotations(Database& db, int64_t run, const fs::path& runDir, IngestReport& report) {
  Annotations a;
  try {
    a = readAnnotations(runDir);
  } catch (const std::exception& e) {
    warn(report, e.what());
    return;
  }
  auto tag = db.prepare("INSERT OR IGNORE INTO tags(run_id, tag) VALUES(?, ?)");
  for (const auto& t : a.tags) tag.bind(1, run).bind(2, t).run();
  auto note = db.prepare("INSERT INTO notes(run_id, created, text) VALUES(?, ?, ?)");
  for (const auto& n : a.notes) note.bind(1, run).bind(2, n.time).bind(3, n.text).run();
}

RunState loadState(Database& db, int64_t id) {
  auto s = db.prepare(
      "SELECT events_offset, malformed_lines, status, host, error, spec_hash, engine_version, pid, "
      "world_size, total_steps, last_step, started, finished, last_event FROM runs WHERE id = ?");
  s.bind(1, id);
  s.step();
  auto optInt = [&](int c) { return s.isNull(c) ? std::nullopt : std::optional<int64_t>(s.int64(c)); };
  RunState r;
  r.id = id;
  r.offset = s.int64(0);
  r.malformed = s.int64(1);
  r.status = s.text(2);
  r.host = s.text(3);
  r.error = s.text(4);
  r.specHash = s.text(5);
  r.engineVersion = s.text(6);
  r.pid = optInt(7);
  r.worldSize = optInt(8);
  r.totalSteps = optInt(9);
  r.lastStep = optInt(10);
  r.started = s.optionalReal(11);
  r.finished = s.optionalReal(12);
  r.lastEvent = s.optionalReal(13);
  return r;
}

void saveState(Database& db, const RunState& r) {
  auto s = db.prepare(
      "UPDATE runs SET events_offset = ?, malformed_lines = ?, status = ?, host = ?, error = ?, "
      "spec_hash = ?, engine_version = ?, pid = ?, world_size = ?, total_steps = ?, last_step = ?, "
      "started = ?, finished = ?, last_event = ? WHERE id = ?");
  s.bind(1, r.offset)
      .bind(2, r.malformed)
      .bind(3, r.status)
      .bind(4, r.host)
      .bind(5, r.error)
      .bind(6, r.specHash)
      .bind(7, r.engineVersion)
      .bind(8, r.pid)
      .bind(9, r.worldSize)
      .bind(10, r.totalSteps)
      .bind(11, r.lastStep)
      .bind(12, r.started)
      .bind(13, r.finished)
      .bind(14, r.lastEvent)
      .bind(15, r.id)
      .run();
}

// Removes what the events of a run produced (the file was replaced by a shorter one).
void forgetEvents(Database& db, int64_t run) {
  for (const char* table :
       {"metric_chunks", "metric_summary", "checkpoints", "artifacts", "run_logs", "run_sessions"}) {
    auto s = db.prepare(std::string("DELETE FROM ") + table + " WHERE run_id = ?");
    s.bind(1, run).run();
  }
}

// The run's row (following a moved workspace), if it has one.
std::optional<int64_t> findRun(Database& db, MetricWriter& writer, const fs::path& runDir, const std::string& runId) {
  auto find = db.prepare("SELECT id, path, spec FROM runs WHERE run_id = ?");
  find.bind(1, runId);
  const std::string path = fs::absolute(runDir).lexically_normal().string();
  if (!find.step()) return std::nullopt;
  const int64_t id = find.int64(0);
  if (find.text(1) != path) {  // the workspace was moved
    auto move = db.prepare("UPDATE runs SET path = ? WHERE id = ?");
    move.bind(1, path).bind(2, id).run();
  }
  applyMonitorDirection(writer, id, Json::parse(find.text(2), nullptr, false));
  return id;
}

// Finds the run's row, or creates it on first sight with its spec and annotations.
int64_t findOrCreateRun(Database& db, MetricWriter& writer, const fs::path& runDir, const std::string& runId,
                        IngestReport& report) {
  if (const auto id = findRun(db, writer, runDir, runId)) return *id;
  Transaction t(db);
  // Another writer (the studio's background sync beside `reef runs`, say) may have created the
  // row since the look-up: with the write lock held, look again rather than insert it twice.
  if (const auto id = findRun(db, writer, runDir, runId)) {
    t.commit();
    return *id;
  }
  const std::string path = fs::absolute(runDir).lexically_normal().string();
  struct stat st {};
  const double created = ::stat(runDir.c_str(), &st) == 0 ? static_cast<double>(st.st_mtime) : protocol::unixTime();
  auto insert = db.prepare("INSERT INTO runs(run_id, path, created) VALUES(?, ?, ?)");
  insert.bind(1, runId).bind(2, path).bind(3, created).run();
  const int64_t id = db.lastInsertId();
  indexSpec(db, writer, id, runDir, report);
  indexAnnotations(db, id, runDir, report);
  t.commit();
  report.created = true;
  return id;
}

// Calls onLine with each complete line read from `in` (without its '\n'); a partial last line
// is left for the next sync.
template <typename OnLine>
void forEachCompleteLine(std::istream& in, OnLine&& onLine) {
  constexpr size_t kBlock = 4 << 20;
  std::string pending;
  std::vector<char> block(kBlock);
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    const auto got = static_cast<size_t>(in.gcount());
    if (got == 0) break;
    pending.append(block.data(), got);
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1)
      onLine(std::string_view(pending.data() + start, nl - start));
    pending.erase(0, start);
  }
}

// What applying the events of one run needs during a sync.
struct EventContext {
  Database& db;
  MetricWriter& writer;
  const fs::path& runDir;
  const std::string& runId;
  const int64_t run;
  RunState& state;
  IngestReport& report;
  bool specSeen = false;
};

void skipMalformed(EventContext& c, const std::string& message) {
  ++c.report.malformed;
  ++c.state.malformed;
  warn(c.report, message);
}

bool applyMetric(EventContext& c, const Json& e, std::optional<double> time) {
  const auto step = optionalInt(e, "step");
  if (!step || !e.contains("values") || !e["values"].is_object()) {
    skipMalformed(c, c.runId + ": a metric event without step or values was skipped");
    return false;
  }
  for (const auto& [key, value] : e["values"].items()) {
    const auto number = numberOf(value);
    if (!number) {
      warn(c.report, c.runId + ": metric '" + key + "' at step " + std::to_string(*step) + " is not a number");
      continue;
    }
    c.writer.append(c.run, c.writer.keyId(key), {*step, time.value_or(NAN), *number});
    ++c.report.points;
  }
  c.state.lastStep = std::max(c.state.lastStep.value_or(*step), *step);
  return true;
}

// System samples are metrics under system/ (system/cpu_percent, ...), so that they are plotted and
// summarised like any other, at the step they were taken; engines before 2026-12 wrote no step:
// the last step seen then.
void applySystem(EventContext& c, const Json& e, std::optional<double> time) {
  const int64_t step = optionalInt(e, "step").value_or(c.state.lastStep.value_or(0));
  for (const auto& [key, value] : e.items()) {
    if (key == "v" || key == "t" || key == "time" || key == "step") continue;
    const auto number = numberOf(value);
    if (!number) continue;
    c.writer.append(c.run, c.writer.keyId("system/" + key), {step, time.value_or(NAN), *number});
    ++c.report.points;
  }
}

void applyRunStarted(EventContext& c, const Json& e, std::optional<double> time) {
  if (!c.specSeen) {
    indexSpec(c.db, c.writer, c.run, c.runDir, c.report);  // a resumed run may run a changed spec
    c.specSeen = true;
  }
  RunState& state = c.state;
  state.status = "running";
  if (!state.started) state.started = time;
  state.finished.reset();
  state.error.clear();
  state.host = e.value("host", state.host);
  state.pid = optionalInt(e, "pid");
  state.worldSize = optionalInt(e, "world_size");
  state.totalSteps = optionalInt(e, "total_steps");
  state.specHash = e.value("spec_hash", state.specHash);
  state.engineVersion = e.value("engine_version", state.engineVersion);
  // A resumed run reports the steps after its checkpoint again: its new points replace
  // the ones the interrupted session wrote.
  const auto from = optionalInt(e, "resumed_from_step");
  if (from) {
    c.writer.truncateAfter(c.run, *from);
    state.lastStep = *from;
  }
  auto session = c.db.prepare(
      "INSERT INTO run_sessions(run_id, number, started, resumed_from_step, host) "
      "SELECT ?1, COALESCE(MAX(number), 0) + 1, ?2, ?3, ?4 FROM run_sessions WHERE run_id = ?1");
  session.bind(1, c.run).bind(2, time).bind(3, from).bind(4, state.host).run();
}

void applyRunFinished(EventContext& c, const Json& e, std::optional<double> time) {
  RunState& state = c.state;
  const std::string status = e.value("status", "");
  state.status =
      (status == "completed" || status == "stopped" || status == "failed" || status == "cancelled") ? status : "failed";
  state.finished = time;
  state.error = e.contains("error") && e["error"].is_string() ? e["error"].get<std::string>() : "";
  if (auto step = optionalInt(e, "step")) state.lastStep = step;
  auto session = c.db.prepare(
      "UPDATE run_sessions SET finished = ?, status = ?, step = ?, error = ? WHERE run_id = ?5 AND number = "
      "(SELECT MAX(number) FROM run_sessions WHERE run_id = ?5)");
  session.bind(1, time).bind(2, state.status).bind(3, state.lastStep).bind(4, state.error).bind(5, c.run).run();
}

bool applyCheckpoint(Database& db, int64_t run, const Json& e, std::optional<double> time) {
  const auto step = optionalInt(e, "step");
  if (!step) return false;
  auto s = db.prepare(
      "INSERT OR REPLACE INTO checkpoints(run_id, step, path, monitor, value, time, removed) "
      "VALUES(?,?,?,?,?,?,0)");
  const auto value = e.contains("value") ? numberOf(e["value"]) : std::nullopt;
  s.bind(1, run).bind(2, *step).bind(3, e.value("path", "")).bind(4, e.value("monitor", ""));
  s.bind(5, value.value_or(NAN)).bind(6, time).run();
  if (e.contains("removed_steps") && e["removed_steps"].is_array()) {
    auto removed = db.prepare("UPDATE checkpoints SET removed = 1 WHERE run_id = ? AND step = ?");
    for (const auto& r : e["removed_steps"])
      if (r.is_number_integer()) removed.bind(1, run).bind(2, r.get<int64_t>()).run();
  }
  return true;
}

void insertArtifact(Database& db, int64_t run, const Json& e, std::optional<double> time) {
  auto s = db.prepare("INSERT OR IGNORE INTO artifacts(run_id, kind, path, time) VALUES(?,?,?,?)");
  s.bind(1, run).bind(2, e.value("kind", "")).bind(3, e.value("path", "")).bind(4, time).run();
}

void insertLog(Database& db, int64_t run, const Json& e, std::optional<double> time) {
  auto s = db.prepare("INSERT INTO run_logs(run_id, time, level, rank, message) VALUES(?,?,?,?,?)");
  s.bind(1, run).bind(2, time).bind(3, e.value("level", "info")).bind(4, optionalInt(e, "rank"));
  s.bind(5, e.value("message", "")).run();
}

// Returns false for an event that was skipped: it does not count towards the batch.
bool applyEvent(EventContext& c, const Json& e) {
  const std::string type = e["t"].get<std::string>();
  const std::optional<double> time =
      e.contains("time") && e["time"].is_number() ? std::optional<double>(e["time"].get<double>()) : std::nullopt;
  if (time) c.state.lastEvent = time;
  if (type == "metric") return applyMetric(c, e, time);
  if (type == "checkpoint") return applyCheckpoint(c.db, c.run, e, time);
  if (type == "run_started")
    applyRunStarted(c, e, time);
  else if (type == "run_finished")
    applyRunFinished(c, e, time);
  else if (type == "artifact")
    insertArtifact(c.db, c.run, e, time);
  else if (type == "log")
    insertLog(c.db, c.run, e, time);
  else if (type == "system")
    applySystem(c, e, time);
  else
    ++c.report.unknownTypes;  // forward compatible: newer engines may write types we do not know
  return true;
}

// Returns false for a line that was skipped (empty or unreadable): it does not count towards the
// batch. The state's offset must already include the line.
bool applyLine(EventContext& c, std::string_view line) {
  if (line.empty()) return false;
  ++c.report.lines;
  bool repaired = false;
  auto parsed = protocol::parseEventLine(line, &repaired);
  if (!parsed || !parsed->contains("t") || !(*parsed)["t"].is_string()) {
    skipMalformed(c, c.runId + ": skipped an unreadable line ending at byte " + std::to_string(c.state.offset));
    return false;
  }
  if (repaired) {
    ++c.report.repaired;
    warn(c.report, c.runId + ": repaired a line ending at byte " + std::to_string(c.state.offset) +
                       " (non-UTF-8 bytes or NaN/Infinity tokens)");
  }
  return applyEvent(c, *parsed);
}

}  // namespace

RunIngestor::RunIngestor(Database& db) : db_(db), writer_(db) {}

IngestReport RunIngestor::sync(const fs::path& runDir, int64_t batchLines) {
  IngestReport report;
  const std::string runId = runDir.filename().string();
  const int64_t id = findOrCreateRun(db_, writer_, runDir, runId, report);

  RunState state = loadState(db_, id);
  const fs::path eventsPath = runDir / "events.jsonl";
  std::error_code ec;
  const auto size = static_cast<int64_t>(fs::file_size(eventsPath, ec));
  if (ec) return report;  // no events yet: the run stays pending
  std::ifstream in(eventsPath, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read '" + eventsPath.string() + "'");

  std::optional<Transaction> transaction;
  auto begin = [&] { transaction.emplace(db_); };
  auto commit = [&] {
    writer_.flush();
    saveState(db_, state);
    transaction->commit();
    transaction.reset();
  };

  try {
    begin();
    if (size < state.offset) {
      warn(report, "'" + eventsPath.string() + "' is shorter than what was ingested (" + std::to_string(size) + " < " +
                       std::to_string(state.offset) + " bytes): it was replaced, so the run is ingested again");
      forgetEvents(db_, id);
      state = RunState{};
      state.id = id;
    }
    in.seekg(state.offset);
    EventContext events{db_, writer_, runDir, runId, id, state, report};
    int64_t linesInBatch = 0;
    forEachCompleteLine(in, [&](std::string_view line) {
      state.offset += static_cast<int64_t>(line.size() + 1);
      if (!applyLine(events, line)) return;
      if (++linesInBatch >= batchLines) {
        commit();
        begin();
        linesInBatch = 0;
      }
    });
    commit();
  } catch (...) {
    writer_.discard();
    throw;
  }
  return report;
}

}  // namespace reef::storage

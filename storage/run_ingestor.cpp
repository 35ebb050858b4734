#include "storage/run_ingestor.h"

#include "storage/annotations.h"
#include "storage/params.h"
#include "protocol/event_log.h"
#include "protocol/yaml_json.h"

#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
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
  auto update = db.prepare("UPDATE runs SET spec = ?, collection = ?, arch = ?, name = ?, seed = ?, experiment_id = ? "
                           "WHERE id = ?");
  update.bind(1, spec.dump())
      .bind(2, model.value("collection", ""))
      .bind(3, model.value("arch", ""))
      .bind(4, name)
      .bind(5, exp.contains("seed") && exp["seed"].is_number_integer() ? std::optional<int64_t>(exp["seed"].get<int64_t>())
                                                                        : std::nullopt)
      .bind(6, experimentId(db, name.empty() ? "default" : name))
      .bind(7, run)
      .run();
  auto clear = db.prepare("DELETE FROM params WHERE run_id = ?");
  clear.bind(1, run).run();
  auto insert = db.prepare("INSERT INTO params(run_id, key, type, num, text) VALUES(?,?,?,?,?)");
  for (const auto& p : flattenSpec(spec)) insert.bind(1, run).bind(2, p.key).bind(3, p.type).bind(4, p.num).bind(5, p.text).run();
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
  auto s = db.prepare("SELECT events_offset, malformed_lines, status, host, error, spec_hash, engine_version, pid, "
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
  auto s = db.prepare("UPDATE runs SET events_offset = ?, malformed_lines = ?, status = ?, host = ?, error = ?, "
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
  for (const char* table : {"metric_chunks", "metric_summary", "checkpoints", "artifacts", "run_logs"}) {
    auto s = db.prepare(std::string("DELETE FROM ") + table + " WHERE run_id = ?");
    s.bind(1, run).run();
  }
}

}  // namespace

RunIngestor::RunIngestor(Database& db) : db_(db), writer_(db) {}

IngestReport RunIngestor::sync(const fs::path& runDir, int64_t batchLines) {
  IngestReport report;
  const std::string runId = runDir.filename().string();
  int64_t id;
  {
    auto find = db_.prepare("SELECT id, path, spec FROM runs WHERE run_id = ?");
    find.bind(1, runId);
    const std::string path = fs::absolute(runDir).lexically_normal().string();
    if (find.step()) {
      id = find.int64(0);
      if (find.text(1) != path) {  // the workspace was moved
        auto move = db_.prepare("UPDATE runs SET path = ? WHERE id = ?");
        move.bind(1, path).bind(2, id).run();
      }
      applyMonitorDirection(writer_, id, Json::parse(find.text(2), nullptr, false));
    } else {
      Transaction t(db_);
      struct stat st {};
      const double created = ::stat(runDir.c_str(), &st) == 0 ? static_cast<double>(st.st_mtime) : protocol::unixTime();
      auto insert = db_.prepare("INSERT INTO runs(run_id, path, created) VALUES(?, ?, ?)");
      insert.bind(1, runId).bind(2, path).bind(3, created).run();
      id = db_.lastInsertId();
      indexSpec(db_, writer_, id, runDir, report);
      indexAnnotations(db_, id, runDir, report);
      t.commit();
      report.created = true;
    }
  }

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
    constexpr size_t kBlock = 4 << 20;
    std::string pending;
    std::vector<char> block(kBlock);
    int64_t linesInBatch = 0;
    bool specSeen = false;
    while (in) {
      in.read(block.data(), static_cast<std::streamsize>(block.size()));
      const auto got = static_cast<size_t>(in.gcount());
      if (got == 0) break;
      pending.append(block.data(), got);
      size_t start = 0;
      for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
        const std::string_view line(pending.data() + start, nl - start);
        state.offset += static_cast<int64_t>(nl - start + 1);
        if (line.empty()) continue;
        ++report.lines;
        bool repaired = false;
        auto parsed = protocol::parseEventLine(line, &repaired);
        if (!parsed || !parsed->contains("t") || !(*parsed)["t"].is_string()) {
          ++report.malformed;
          ++state.malformed;
          warn(report, runId + ": skipped an unreadable line ending at byte " + std::to_string(state.offset));
          continue;
        }
        if (repaired) {
          ++report.repaired;
          warn(report, runId + ": repaired a line ending at byte " + std::to_string(state.offset) +
                           " (non-UTF-8 bytes or NaN/Infinity tokens)");
        }
        const Json& e = *parsed;
        const std::string type = e["t"].get<std::string>();
        const std::optional<double> time = e.contains("time") && e["time"].is_number()
                                               ? std::optional<double>(e["time"].get<double>())
                                               : std::nullopt;
        if (time) state.lastEvent = time;
        if (type == "metric") {
          const auto step = optionalInt(e, "step");
          if (!step || !e.contains("values") || !e["values"].is_object()) {
            ++report.malformed;
            ++state.malformed;
            warn(report, runId + ": a metric event without step or values was skipped");
            continue;
          }
          for (const auto& [key, value] : e["values"].items()) {
            const auto number = numberOf(value);
            if (!number) {
              warn(report, runId + ": metric '" + key + "' at step " + std::to_string(*step) + " is not a number");
              continue;
            }
            writer_.append(id, writer_.keyId(key), {*step, time.value_or(NAN), *number});
            ++report.points;
          }
          state.lastStep = std::max(state.lastStep.value_or(*step), *step);
        } else if (type == "run_started") {
          if (!specSeen) {
            indexSpec(db_, writer_, id, runDir, report);  // a resumed run may run a changed spec
            specSeen = true;
          }
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
          if (auto from = optionalInt(e, "resumed_from_step")) {
            writer_.truncateAfter(id, *from);
            state.lastStep = *from;
          }
        } else if (type == "run_finished") {
          const std::string status = e.value("status", "");
          state.status = (status == "completed" || status == "failed" || status == "cancelled") ? status : "failed";
          state.finished = time;
          state.error = e.contains("error") && e["error"].is_string() ? e["error"].get<std::string>() : "";
          if (auto step = optionalInt(e, "step")) state.lastStep = step;
        } else if (type == "checkpoint") {
          const auto step = optionalInt(e, "step");
          if (!step) continue;
          auto s = db_.prepare("INSERT OR REPLACE INTO checkpoints(run_id, step, path, monitor, value, time, removed) "
                               "VALUES(?,?,?,?,?,?,0)");
          const auto value = e.contains("value") ? numberOf(e["value"]) : std::nullopt;
          s.bind(1, id).bind(2, *step).bind(3, e.value("path", "")).bind(4, e.value("monitor", ""));
          s.bind(5, value.value_or(NAN)).bind(6, time).run();
          if (e.contains("removed_steps") && e["removed_steps"].is_array()) {
            auto removed = db_.prepare("UPDATE checkpoints SET removed = 1 WHERE run_id = ? AND step = ?");
            for (const auto& r : e["removed_steps"])
              if (r.is_number_integer()) removed.bind(1, id).bind(2, r.get<int64_t>()).run();
          }
        } else if (type == "artifact") {
          auto s = db_.prepare("INSERT OR IGNORE INTO artifacts(run_id, kind, path, time) VALUES(?,?,?,?)");
          s.bind(1, id).bind(2, e.value("kind", "")).bind(3, e.value("path", "")).bind(4, time).run();
        } else if (type == "log") {
          auto s = db_.prepare("INSERT INTO run_logs(run_id, time, level, rank, message) VALUES(?,?,?,?,?)");
          s.bind(1, id).bind(2, time).bind(3, e.value("level", "info")).bind(4, optionalInt(e, "rank"));
          s.bind(5, e.value("message", "")).run();
        } else if (type != "system") {
          ++report.unknownTypes;  // forward compatible: newer engines may write types we do not know
        }
        if (++linesInBatch >= batchLines) {
          commit();
          begin();
          linesInBatch = 0;
        }
      }
      pending.erase(0, start);  // a partial last line waits for the next sync
    }
    commit();
  } catch (...) {
    writer_.discard();
    throw;
  }
  return report;
}

}  // namespace reef::storage

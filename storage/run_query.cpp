#include "storage/run_query.h"

#include <algorithm>
#include <map>
#include <set>

namespace reef::storage {

namespace {

void bindAll(Statement& s, int& index, const std::vector<SqlValue>& values) {
  for (const auto& v : values) {
    if (const auto* i = std::get_if<int64_t>(&v))
      s.bind(index++, *i);
    else if (const auto* d = std::get_if<double>(&v))
      s.bind(index++, *d);
    else
      s.bind(index++, std::get<std::string>(v));
  }
}

std::string idList(const std::vector<int64_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s;
}

}  // namespace

std::vector<RunRow> listRuns(Database& db, const RunListOptions& options) {
  const SqlFragment where = compileFilter(options.filter);
  const SqlFragment order = fieldValue(options.sort.empty() ? "started" : options.sort);
  std::vector<SqlFragment> columns;
  for (const auto& c : options.columns) columns.push_back(fieldValue(c));

  std::string sql =
      "SELECT r.id, r.run_id, r.name, r.status, r.collection, r.arch, "
      "(SELECT e.name FROM experiments e WHERE e.id = r.experiment_id), r.path, r.started, r.finished, r.last_event, "
      "r.last_step, r.total_steps";
  for (const auto& c : columns) sql += ", " + c.sql;
  sql += " FROM runs r WHERE " + where.sql + " ORDER BY " + order.sql + (options.descending ? " DESC" : " ASC") +
         " NULLS LAST, r.id";
  if (options.limit > 0) sql += " LIMIT " + std::to_string(options.limit);

  Statement s = db.prepare(sql);
  int index = 1;
  for (const auto& c : columns) bindAll(s, index, c.binds);
  bindAll(s, index, where.binds);
  bindAll(s, index, order.binds);

  std::vector<RunRow> rows;
  std::map<int64_t, size_t> byId;
  while (s.step()) {
    RunRow r;
    r.id = s.int64(0);
    r.runId = s.text(1);
    r.name = s.text(2);
    r.status = s.text(3);
    r.collection = s.text(4);
    r.arch = s.text(5);
    r.experiment = s.text(6);
    r.path = s.text(7);
    r.started = s.optionalReal(8);
    r.finished = s.optionalReal(9);
    r.lastEvent = s.optionalReal(10);
    if (!s.isNull(11)) r.lastStep = s.int64(11);
    if (!s.isNull(12)) r.totalSteps = s.int64(12);
    for (size_t c = 0; c < columns.size(); ++c) r.values.push_back(s.json(13 + static_cast<int>(c)));
    byId[r.id] = rows.size();
    rows.push_back(std::move(r));
  }
  if (!rows.empty()) {
    Statement tags = db.prepare("SELECT run_id, tag FROM tags ORDER BY tag");
    while (tags.step())
      if (auto it = byId.find(tags.int64(0)); it != byId.end()) rows[it->second].tags.push_back(tags.text(1));
  }
  return rows;
}

Json runRow(Database& db, int64_t run) {
  Statement r = db.prepare("SELECT * FROM runs WHERE id = ?");
  r.bind(1, run);
  if (!r.step()) throw std::runtime_error("run " + std::to_string(run) + " is not in the index");
  Json row;
  for (int c = 0; c < r.columnCount(); ++c) row[r.columnName(c)] = r.json(c);
  if (row["spec"].is_string() && !row["spec"].get<std::string>().empty())
    row["spec"] = Json::parse(row["spec"].get<std::string>(), nullptr, false);
  return row;
}

Json runDetails(Database& db, int64_t run) {
  Json out;
  out["run"] = runRow(db, run);

  auto rowsOf = [&](const std::string& sql) {
    Statement s = db.prepare(sql);
    s.bind(1, run);
    Json arr = Json::array();
    while (s.step()) {
      Json o;
      for (int c = 0; c < s.columnCount(); ++c) o[s.columnName(c)] = s.json(c);
      arr.push_back(o);
    }
    return arr;
  };
  out["params"] = rowsOf("SELECT key, type, num, text FROM params WHERE run_id = ? ORDER BY key");
  out["metrics"] = rowsOf(
      "SELECT k.name AS key, s.first, s.first_step, s.last, s.last_step, s.min, s.max, s.count, s.best, s.best_step "
      "FROM metric_summary s JOIN metric_keys k ON k.id = s.key_id WHERE s.run_id = ? ORDER BY k.name");
  Json tags = Json::array();
  for (const auto& t : rowsOf("SELECT tag FROM tags WHERE run_id = ? ORDER BY tag")) tags.push_back(t["tag"]);
  out["tags"] = tags;
  out["notes"] = rowsOf("SELECT created, text FROM notes WHERE run_id = ? ORDER BY created, id");
  out["checkpoints"] =
      rowsOf("SELECT step, path, monitor, value, time, removed FROM checkpoints WHERE run_id = ? ORDER BY step");
  out["sessions"] = rowsOf(
      "SELECT number, started, resumed_from_step, host, finished, status, step, error FROM run_sessions "
      "WHERE run_id = ? ORDER BY number");
  out["artifacts"] = rowsOf("SELECT kind, path, time FROM artifacts WHERE run_id = ? ORDER BY id");
  out["logs"] = rowsOf(
      "SELECT time, level, rank, message FROM (SELECT * FROM run_logs WHERE run_id = ? "
      "ORDER BY id DESC LIMIT 50) ORDER BY id");
  return out;
}

std::vector<ParamDifference> differingParams(Database& db, const std::vector<int64_t>& runs) {
  std::vector<ParamDifference> out;
  if (runs.size() < 2) return out;
  std::map<std::string, std::map<int64_t, std::string>> values;
  Statement s = db.prepare("SELECT run_id, key, text FROM params WHERE run_id IN (" + idList(runs) + ")");
  while (s.step()) values[s.text(1)][s.int64(0)] = s.text(2);
  for (const auto& [key, perRun] : values) {
    std::set<std::optional<std::string>> distinct;
    ParamDifference d{key, {}};
    for (int64_t run : runs) {
      auto it = perRun.find(run);
      d.values.push_back(it == perRun.end() ? std::nullopt : std::optional<std::string>(it->second));
      distinct.insert(d.values.back());
    }
    if (distinct.size() > 1) out.push_back(std::move(d));
  }
  return out;
}

std::vector<SeriesBucket> runSeries(Database& db, int64_t run, const std::string& key, int buckets,
                                    std::optional<int64_t> fromStep, std::optional<int64_t> toStep) {
  const auto keyId = findMetricKey(db, key);
  if (!keyId) return {};
  return decimateSeries(db, run, *keyId, buckets, fromStep, toStep);
}

std::vector<std::string> metricKeys(Database& db, const std::vector<int64_t>& runs) {
  std::string sql = "SELECT DISTINCT k.name FROM metric_summary s JOIN metric_keys k ON k.id = s.key_id";
  if (!runs.empty()) sql += " WHERE s.run_id IN (" + idList(runs) + ")";
  sql += " ORDER BY k.name";
  Statement s = db.prepare(sql);
  std::vector<std::string> out;
  while (s.step()) out.push_back(s.text(0));
  return out;
}

}  // namespace reef::storage

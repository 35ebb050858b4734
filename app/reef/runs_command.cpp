#include "app/reef/commands.h"
#include "app/reef/synced_index.h"
#include "app/reef/text_table.h"
#include "backend/protocol/number_format.h"
#include "backend/protocol/run_dir.h"
#include "storage/run_label.h"
#include "storage/run_query.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace reef::app {

namespace {

struct RunsOptions {
  std::string workspace;
  // list / export
  std::string filter, sort = "started", columns, out;
  bool ascending = false, json = false, csv = false, points = false;
  int64_t limit = 0;
  // show / tag / note / rm / diff
  std::vector<std::string> runs;
  std::string run, text;
  std::vector<std::string> tags;
  bool remove = false, yes = false;
};

fs::path workspaceOf(const RunsOptions& o) {
  return o.workspace.empty() ? protocol::RunDir::defaultWorkspace() : fs::path(o.workspace);
}

storage::WorkspaceIndex openSynced(const RunsOptions& o) { return openSyncedIndex(workspaceOf(o)); }

std::vector<std::string> splitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

std::string display(const Json& v) {
  if (v.is_null()) return "-";
  if (v.is_number_float()) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v.get<double>());
    return buf;
  }
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::optional<double> durationOf(const storage::RunRow& r) {
  if (!r.started) return std::nullopt;
  const auto end = r.finished ? r.finished : r.lastEvent;
  if (!end) return std::nullopt;
  return *end - *r.started;
}

int list(const RunsOptions& o) {
  storage::WorkspaceIndex index = openSynced(o);
  storage::RunListOptions q{o.filter, o.sort, !o.ascending, splitList(o.columns), o.limit};
  const auto rows = storage::listRuns(index.db(), q);
  if (o.json) {
    Json out = Json::array();
    for (const auto& r : rows) {
      Json j = {{"run_id", r.runId},
                {"name", r.name},
                {"status", r.status},
                {"collection", r.collection},
                {"arch", r.arch},
                {"experiment", r.experiment},
                {"path", r.path},
                {"started", r.started ? Json(*r.started) : Json()},
                {"finished", r.finished ? Json(*r.finished) : Json()},
                {"last_step", r.lastStep ? Json(*r.lastStep) : Json()},
                {"tags", r.tags}};
      Json values = Json::object();
      for (size_t c = 0; c < q.columns.size(); ++c) values[q.columns[c]] = r.values[c];
      j["values"] = values;
      out.push_back(j);
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  std::vector<std::vector<std::string>> table = {{"RUN", "NAME", "STATUS", "MODEL", "STARTED", "DURATION", "STEP"}};
  for (const auto& c : q.columns) table[0].push_back(c);
  table[0].push_back("TAGS");
  for (const auto& r : rows) {
    std::string step = r.lastStep ? std::to_string(*r.lastStep) : "-";
    if (r.totalSteps) step += "/" + std::to_string(*r.totalSteps);
    const auto duration = durationOf(r);
    std::vector<std::string> line = {r.runId,
                                     storage::runLabel(r.name, r.runId),
                                     r.status,
                                     r.collection.empty() ? "-" : r.collection + "/" + r.arch,
                                     formatLocalTime(r.started),
                                     duration ? protocol::formatDuration(*duration) : "-",
                                     step};
    for (const auto& v : r.values) line.push_back(display(v));
    std::string tags;
    for (const auto& t : r.tags) tags += (tags.empty() ? "" : ",") + t;
    line.push_back(tags.empty() ? "-" : tags);
    table.push_back(std::move(line));
  }
  std::printf("%s", formatTable(table).c_str());
  std::fprintf(stderr, "%zu run%s\n", rows.size(), rows.size() == 1 ? "" : "s");
  return 0;
}

int show(const RunsOptions& o) {
  storage::WorkspaceIndex index = openSynced(o);
  const Json d = storage::runDetails(index.db(), index.resolveRun(o.run));
  if (o.json) {
    std::printf("%s\n", d.dump(2).c_str());
    return 0;
  }
  const Json& r = d["run"];
  std::printf("run %s  %s  [%s]\n", r["run_id"].get<std::string>().c_str(), r["name"].get<std::string>().c_str(),
              r["status"].get<std::string>().c_str());
  std::printf("  path      %s\n", r["path"].get<std::string>().c_str());
  std::printf("  model     %s/%s\n", r["collection"].get<std::string>().c_str(), r["arch"].get<std::string>().c_str());
  std::printf(
      "  started   %s   duration %s   step %s\n",
      formatLocalTime(r["started"].is_number() ? std::optional<double>(r["started"].get<double>()) : std::nullopt)
          .c_str(),
      r["started"].is_number() && (r["finished"].is_number() || r["last_event"].is_number())
          ? protocol::formatDuration((r["finished"].is_number() ? r["finished"] : r["last_event"]).get<double>() -
                                     r["started"].get<double>())
                .c_str()
          : "-",
      display(r["last_step"]).c_str());
  if (!r["error"].get<std::string>().empty()) std::printf("  error     %s\n", r["error"].get<std::string>().c_str());
  std::string tags;
  for (const auto& t : d["tags"]) tags += (tags.empty() ? "" : ", ") + t.get<std::string>();
  std::printf("  tags      %s\n", tags.empty() ? "-" : tags.c_str());
  for (const auto& n : d["notes"])
    std::printf("  note      %s  %s\n", formatLocalTime(n["created"].get<double>()).c_str(),
                n["text"].get<std::string>().c_str());
  std::vector<std::vector<std::string>> metrics = {{"METRIC", "LAST", "MIN", "MAX", "BEST", "AT STEP", "POINTS"}};
  for (const auto& m : d["metrics"])
    metrics.push_back({m["key"].get<std::string>(), display(m["last"]), display(m["min"]), display(m["max"]),
                       display(m["best"]), display(m["best_step"]), display(m["count"])});
  std::printf("\n%s", formatTable(metrics).c_str());
  std::vector<std::vector<std::string>> ckpts = {{"CHECKPOINT", "MONITOR", "VALUE", "KEPT"}};
  for (const auto& c : d["checkpoints"])
    ckpts.push_back({c["path"].get<std::string>(), c["monitor"].get<std::string>(), display(c["value"]),
                     c["removed"].get<int64_t>() ? "no" : "yes"});
  if (ckpts.size() > 1) std::printf("\n%s", formatTable(ckpts).c_str());
  return 0;
}

int tag(const RunsOptions& o) {
  storage::WorkspaceIndex index = openSynced(o);
  const int64_t run = index.resolveRun(o.run);
  if (o.remove)
    index.removeTags(run, o.tags);
  else
    index.addTags(run, o.tags);
  return 0;
}

int note(const RunsOptions& o) {
  storage::WorkspaceIndex index = openSynced(o);
  index.addNote(index.resolveRun(o.run), o.text);
  return 0;
}

int remove(const RunsOptions& o) {
  storage::WorkspaceIndex index = openSynced(o);
  std::vector<int64_t> ids;
  for (const auto& r : o.runs) ids.push_back(index.resolveRun(r));
  if (!o.yes) {
    if (!::isatty(STDIN_FILENO))
      throw std::runtime_error(
          "removing runs needs confirmation: pass --yes (runs are moved to the workspace's trash/)");
    std::fprintf(stderr, "Move %zu run%s to %s? [y/N] ", ids.size(), ids.size() == 1 ? "" : "s",
                 (index.workspace() / "trash").c_str());
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") {
      std::fprintf(stderr, "nothing removed\n");
      return 1;
    }
  }
  for (int64_t id : ids) std::printf("moved to %s\n", index.removeRun(id).c_str());
  return 0;
}

int diff(const RunsOptions& o) {
  storage::WorkspaceIndex index = openSynced(o);
  std::vector<int64_t> ids;
  std::vector<std::vector<std::string>> table = {{"KEY"}};
  for (const auto& r : o.runs) {
    ids.push_back(index.resolveRun(r));
    table[0].push_back(storage::runDetails(index.db(), ids.back())["run"]["run_id"].get<std::string>());
  }
  for (const auto& d : storage::differingParams(index.db(), ids)) {
    std::vector<std::string> line = {d.key};
    for (const auto& v : d.values) line.push_back(v ? *v : "(absent)");
    table.push_back(std::move(line));
  }
  if (table.size() == 1)
    std::printf("the runs' specs are identical\n");
  else
    std::printf("%s", formatTable(table).c_str());
  return 0;
}

int exportCsv(const RunsOptions& o) {
  if (!o.csv) throw std::runtime_error("choose a format: --csv");
  storage::WorkspaceIndex index = openSynced(o);
  storage::Database& db = index.db();
  storage::RunListOptions q{o.filter, o.sort, !o.ascending, {}, o.limit};
  const auto runs = storage::listRuns(db, q);
  std::ostringstream csv;
  if (o.points) {
    // Long format: one line per point.
    csv << "run_id,key,step,time,value\n";
    for (const auto& r : runs)
      for (const auto& key : storage::metricKeys(db, {r.id})) {
        const auto keyId = storage::findMetricKey(db, key);
        for (const auto& p : storage::readSeries(db, r.id, *keyId))
          csv << csvField(r.runId) << "," << csvField(key) << "," << p.step << "," << protocol::formatNumber(p.time)
              << "," << (std::isfinite(p.value) ? protocol::formatNumber(p.value) : "") << "\n";
      }
  } else {
    // Wide format: one line per run with every param and each metric's last, min, max and best.
    std::vector<int64_t> ids;
    for (const auto& r : runs) ids.push_back(r.id);
    std::set<std::string> paramKeys;
    {
      storage::Statement s = db.prepare("SELECT DISTINCT key FROM params ORDER BY key");
      while (s.step()) paramKeys.insert(s.text(0));
    }
    std::vector<std::string> columns(paramKeys.begin(), paramKeys.end());
    for (const auto& key : storage::metricKeys(db, ids))
      for (const char* agg : {"last", "min", "max", "best"}) columns.push_back(key + "." + agg);
    q.columns = columns;
    csv << "run_id,name,status,collection,arch,experiment,started,finished,last_step,tags";
    for (const auto& c : columns) csv << "," << csvField(c);
    csv << "\n";
    for (const auto& r : storage::listRuns(db, q)) {
      std::string tags;
      for (const auto& t : r.tags) tags += (tags.empty() ? "" : ";") + t;
      csv << csvField(r.runId) << "," << csvField(r.name) << "," << r.status << "," << r.collection << "," << r.arch
          << "," << csvField(r.experiment) << "," << (r.started ? protocol::formatNumber(*r.started) : "") << ","
          << (r.finished ? protocol::formatNumber(*r.finished) : "") << ","
          << (r.lastStep ? std::to_string(*r.lastStep) : "") << "," << csvField(tags);
      for (const auto& v : r.values)
        csv << ","
            << (v.is_null()           ? ""
                : v.is_number_float() ? protocol::formatNumber(v.get<double>())
                                      : csvField(display(v)));
      csv << "\n";
    }
  }
  if (o.out.empty()) {
    std::cout << csv.str();
  } else {
    std::ofstream file(o.out, std::ios::trunc);
    file << csv.str();
    file.flush();
    if (!file) throw std::runtime_error("cannot write '" + o.out + "'");
    std::fprintf(stderr, "wrote %zu runs to %s\n", runs.size(), o.out.c_str());
  }
  return 0;
}

}  // namespace

void addRunsCommand(CLI::App& app, int& status) {
  auto o = std::make_shared<RunsOptions>();
  auto* runs = app.add_subcommand("runs", "List, inspect, tag, annotate, compare, export and remove runs");
  runs->require_subcommand(1);
  auto addWorkspace = [&](CLI::App* cmd) {
    cmd->add_option("--workspace,-w", o->workspace, "Workspace folder (default: $REEF_WORKSPACE or ./workspace)");
  };

  auto addListOptions = [&](CLI::App* cmd) {
    cmd->add_option("--filter", o->filter, "e.g. 'status = completed and optim.lr < 1e-3 and val/acc.max > 0.98'");
    cmd->add_option("--sort", o->sort, "Field to sort by: a run field, a spec key or a metric such as val/acc.max");
    cmd->add_flag("--asc", o->ascending, "Ascending order (default: descending)");
    cmd->add_option("--limit", o->limit, "At most this many runs");
  };
  auto* list = runs->add_subcommand("list", "The runs of the workspace, filtered and sorted");
  addListOptions(list);
  list->add_option("--columns", o->columns, "Comma-separated extra columns, e.g. val/acc.max,optim.lr");
  list->add_flag("--json", o->json, "Print JSON");
  addWorkspace(list);
  list->callback([o, &status] { status = reef::app::list(*o); });

  auto* showCmd = runs->add_subcommand("show", "Everything the index knows about one run");
  showCmd->add_option("run", o->run, "Run id (or a unique part of it, or its directory)")->required();
  showCmd->add_flag("--json", o->json, "Print JSON");
  addWorkspace(showCmd);
  showCmd->callback([o, &status] { status = show(*o); });

  auto* tagCmd = runs->add_subcommand("tag", "Add (or with --remove, remove) tags of a run");
  tagCmd->add_option("run", o->run, "Run id")->required();
  tagCmd->add_option("tags", o->tags, "Tags")->required();
  tagCmd->add_flag("--remove", o->remove, "Remove the tags instead");
  addWorkspace(tagCmd);
  tagCmd->callback([o, &status] { status = tag(*o); });

  auto* noteCmd = runs->add_subcommand("note", "Add a note to a run");
  noteCmd->add_option("run", o->run, "Run id")->required();
  noteCmd->add_option("text", o->text, "The note")->required();
  addWorkspace(noteCmd);
  noteCmd->callback([o, &status] { status = note(*o); });

  auto* rm = runs->add_subcommand("rm", "Move runs to the workspace's trash/ and drop them from the index");
  rm->add_option("runs", o->runs, "Run ids")->required();
  rm->add_flag("--yes,-y", o->yes, "Do not ask for confirmation");
  addWorkspace(rm);
  rm->callback([o, &status] { status = remove(*o); });

  auto* diffCmd = runs->add_subcommand("diff", "The spec keys whose values differ between runs");
  diffCmd->add_option("runs", o->runs, "Two or more run ids")->required()->expected(2, 1000);
  addWorkspace(diffCmd);
  diffCmd->callback([o, &status] { status = diff(*o); });

  auto* exportCmd = runs->add_subcommand("export", "Export runs (params and metric summaries) or their points");
  addListOptions(exportCmd);
  exportCmd->add_flag("--csv", o->csv, "CSV (one line per run, or per point with --points)");
  exportCmd->add_flag("--points", o->points, "Every metric point instead of one line per run");
  exportCmd->add_option("--out,-o", o->out, "Write to this file instead of standard output");
  addWorkspace(exportCmd);
  exportCmd->callback([o, &status] { status = exportCsv(*o); });
}

void addDbCommand(CLI::App& app, int& status) {
  auto workspace = std::make_shared<std::string>();
  auto batchLines = std::make_shared<int64_t>(50000);
  auto* db = app.add_subcommand("db", "The workspace's run index (reef.db)");
  db->require_subcommand(1);
  auto* rebuild = db->add_subcommand("rebuild", "Recreate the index from the run directories and sweep folders");
  rebuild->add_option("workspace", *workspace, "Workspace folder (default: $REEF_WORKSPACE or ./workspace)");
  rebuild->callback([workspace, &status] {
    const fs::path ws = workspace->empty() ? protocol::RunDir::defaultWorkspace() : fs::path(*workspace);
    if (!fs::is_directory(ws)) throw std::runtime_error("workspace '" + ws.string() + "' does not exist");
    const storage::SyncReport r = storage::WorkspaceIndex::rebuild(ws);
    for (const auto& w : r.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    std::printf("rebuilt %s: %d runs, %d sweeps, %lld events, %lld metric points\n",
                storage::WorkspaceIndex::databasePath(ws).c_str(), r.runs, r.sweeps, static_cast<long long>(r.lines),
                static_cast<long long>(r.points));
    status = 0;
  });
  auto* sync = db->add_subcommand("sync", "Bring the index up to date with the run directories");
  sync->add_option("workspace", *workspace, "Workspace folder (default: $REEF_WORKSPACE or ./workspace)");
  sync->add_option("--batch-lines", *batchLines, "Event lines per committed batch")->check(CLI::PositiveNumber);
  sync->callback([workspace, batchLines, &status] {
    const fs::path ws = workspace->empty() ? protocol::RunDir::defaultWorkspace() : fs::path(*workspace);
    if (!fs::is_directory(ws)) throw std::runtime_error("workspace '" + ws.string() + "' does not exist");
    storage::WorkspaceIndex index(ws);
    const storage::SyncReport r = index.sync(*batchLines);
    for (const auto& w : r.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
    std::printf("synced %s: %d runs (%d new, %d gone), %lld new events, %lld metric points\n",
                storage::WorkspaceIndex::databasePath(ws).c_str(), r.runs, r.created, r.removed,
                static_cast<long long>(r.lines), static_cast<long long>(r.points));
    status = 0;
  });
}

}  // namespace reef::app

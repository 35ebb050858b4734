#include "storage/workspace_index.h"

#include "backend/protocol/event_log.h"
#include "backend/protocol/run_dir.h"
#include "storage/annotations.h"
#include "storage/schema.h"
#include "storage/sweep_index.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>

namespace fs = std::filesystem;

namespace reef::storage {

namespace {

Database openMigrated(const fs::path& path) {
  fs::create_directories(path.parent_path());
  Database db(path);
  migrate(db);
  return db;
}

std::string thisHost() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

void add(SyncReport& total, const IngestReport& r) {
  total.lines += r.lines;
  total.points += r.points;
  total.malformed += r.malformed;
  total.repaired += r.repaired;
  total.created += r.created;
  for (const auto& w : r.warnings)
    if (total.warnings.size() < 50) total.warnings.push_back(w);
}

// Ingests every run directory under <workspace>/runs, in name order. A run that cannot be read is
// reported and skipped; a database error stops everything.
SyncReport ingestAll(RunIngestor& ingestor, const fs::path& workspace, int64_t batchLines) {
  SyncReport report;
  const fs::path runs = workspace / "runs";
  std::vector<fs::path> dirs;
  std::error_code ec;
  if (fs::is_directory(runs, ec))
    for (const auto& entry : fs::directory_iterator(runs, ec))
      if (entry.is_directory()) dirs.push_back(entry.path());
  std::sort(dirs.begin(), dirs.end());
  for (const auto& dir : dirs) {
    try {
      add(report, ingestor.sync(dir, batchLines));
    } catch (const SqliteError&) {
      throw;
    } catch (const std::exception& e) {
      report.warnings.push_back(dir.filename().string() + ": not indexed: " + e.what());
    }
    ++report.runs;
  }
  return report;
}

void addSweeps(SyncReport& total, const SweepSyncReport& r) {
  total.sweeps = r.sweeps;
  for (const auto& w : r.warnings)
    if (total.warnings.size() < 50) total.warnings.push_back(w);
}

}  // namespace

fs::path WorkspaceIndex::databasePath(const fs::path& workspace) { return workspace / "reef.db"; }

WorkspaceIndex::WorkspaceIndex(const fs::path& workspace)
    : workspace_(workspace), db_(openMigrated(databasePath(workspace))), ingestor_(db_) {}

IngestReport WorkspaceIndex::syncRun(const fs::path& runDir, int64_t batchLines) {
  return ingestor_.sync(runDir, batchLines);
}

SyncReport WorkspaceIndex::sync(int64_t batchLines) {
  SyncReport report = ingestAll(ingestor_, workspace_, batchLines);
  // Rows whose directory is gone (deleted outside Reef).
  std::vector<int64_t> vanished;
  auto rows = db_.prepare("SELECT id, path FROM runs");
  while (rows.step())
    if (!fs::exists(rows.text(1))) vanished.push_back(rows.int64(0));
  auto drop = db_.prepare("DELETE FROM runs WHERE id = ?");
  for (int64_t id : vanished) drop.bind(1, id).run();
  report.removed = static_cast<int>(vanished.size());
  addSweeps(report, syncSweeps(db_, workspace_));
  markVanishedProcesses();
  markRequeuedJobs();
  return report;
}

void WorkspaceIndex::markVanishedProcesses() {
  // A run of this machine whose process is gone without run_finished was killed or crashed. A
  // cluster run (cluster.json beside its events) runs elsewhere, whatever its host is called: its
  // backend says how it ended.
  auto running =
      db_.prepare("SELECT id, pid, path FROM runs WHERE status = 'running' AND host = ? AND pid IS NOT NULL");
  running.bind(1, thisHost());
  std::vector<std::pair<int64_t, int64_t>> gone;
  while (running.step()) {
    const auto pid = static_cast<pid_t>(running.int64(1));
    if (fs::exists(fs::path(running.text(2)) / "cluster.json")) continue;
    if (::kill(pid, 0) != 0 && errno == ESRCH) gone.emplace_back(running.int64(0), pid);
  }
  auto mark = db_.prepare("UPDATE runs SET status = 'failed', error = ? WHERE id = ?");
  for (auto [id, pid] : gone)
    mark.bind(1,
              "the training process (pid " + std::to_string(pid) +
                  ") ended without finishing the run; `reef train <run directory>` resumes it from its last checkpoint")
        .bind(2, id)
        .run();
}

namespace {

// The scheduler's word on a cluster run's job (cluster.json's `state`, kept by its follower), or
// "" for a run of this machine.
std::string jobState(const fs::path& runDir) {
  std::ifstream in(runDir / "cluster.json");
  if (!in) return "";
  try {
    return Json::parse(in).value("state", "");
  } catch (const std::exception&) {
    return "";
  }
}

bool heldByScheduler(const std::string& state) {
  return state == "PENDING" || state == "REQUEUED" || state == "REQUEUE_HOLD" || state == "REQUEUE_FED";
}

}  // namespace

void WorkspaceIndex::markRequeuedJobs() {
  // A cluster run whose job the scheduler holds again (requeued after a node failure, waiting for
  // nodes) has not ended, whatever its last session said: it is requeued, with that session's
  // error, until the next session starts (its run_started sets running) or the job ends for good.
  auto rows = db_.prepare(
      "SELECT id, path, status, finished FROM runs WHERE status IN ('running', 'failed', 'requeued') AND started IS "
      "NOT NULL");
  std::vector<std::pair<int64_t, std::string>> changes;
  while (rows.step()) {
    const std::string state = jobState(rows.text(1)), status = rows.text(2);
    if (state.empty()) continue;
    if (heldByScheduler(state) && status != "requeued")
      changes.emplace_back(rows.int64(0), "requeued");
    else if (!heldByScheduler(state) && status == "requeued" && state != "RUNNING" && state != "CONFIGURING")
      changes.emplace_back(rows.int64(0), rows.isNull(3) ? "running" : "failed");
  }
  auto mark = db_.prepare("UPDATE runs SET status = ? WHERE id = ?");
  for (const auto& [id, status] : changes) mark.bind(1, status).bind(2, id).run();
}

SyncReport WorkspaceIndex::rebuild(const fs::path& workspace) {
  const fs::path target = databasePath(workspace);
  const fs::path temp = workspace / "reef.db.rebuild";
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(temp.string() + suffix);
  SyncReport report;
  fs::create_directories(workspace);
  {
    Database db = openMigrated(temp);
    RunIngestor ingestor(db);
    report = ingestAll(ingestor, workspace, 50000);
    addSweeps(report, syncSweeps(db, workspace));
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  for (const char* suffix : {"-wal", "-shm"}) fs::remove(target.string() + suffix);
  fs::rename(temp, target);
  for (const char* suffix : {"-wal", "-shm"}) fs::remove(temp.string() + suffix);
  WorkspaceIndex index(workspace);
  index.markVanishedProcesses();
  index.markRequeuedJobs();
  return report;
}

int64_t WorkspaceIndex::resolveRun(const std::string& reference) {
  if (reference.empty()) throw std::runtime_error("no run given");
  const std::string id = fs::path(reference).lexically_normal().filename().string().empty()
                             ? fs::path(reference).lexically_normal().parent_path().filename().string()
                             : fs::path(reference).lexically_normal().filename().string();
  auto exact = db_.prepare("SELECT id FROM runs WHERE run_id = ?");
  exact.bind(1, id);
  if (exact.step()) return exact.int64(0);
  auto partial = db_.prepare("SELECT id, run_id FROM runs WHERE instr(run_id, ?) > 0 LIMIT 3");
  partial.bind(1, id);
  std::vector<std::pair<int64_t, std::string>> found;
  while (partial.step()) found.emplace_back(partial.int64(0), partial.text(1));
  if (found.size() == 1) return found[0].first;
  if (found.empty())
    throw std::runtime_error("no run '" + reference + "' in workspace '" + workspace_.string() +
                             "' (`reef runs list` shows the runs)");
  throw std::runtime_error("'" + reference + "' matches several runs (" + found[0].second + ", " + found[1].second +
                           ", ...): give more of the id");
}

fs::path WorkspaceIndex::runPath(int64_t run) {
  auto s = db_.prepare("SELECT path FROM runs WHERE id = ?");
  s.bind(1, run);
  if (!s.step()) throw std::runtime_error("run " + std::to_string(run) + " is not in the index");
  return s.text(0);
}

void WorkspaceIndex::saveAnnotations(int64_t run) {
  Annotations a;
  auto tags = db_.prepare("SELECT tag FROM tags WHERE run_id = ? ORDER BY tag");
  tags.bind(1, run);
  while (tags.step()) a.tags.push_back(tags.text(0));
  auto notes = db_.prepare("SELECT created, text FROM notes WHERE run_id = ? ORDER BY created, id");
  notes.bind(1, run);
  while (notes.step()) a.notes.push_back({notes.real(0), notes.text(1)});
  writeAnnotations(runPath(run), a);
}

void WorkspaceIndex::addTags(int64_t run, const std::vector<std::string>& tags) {
  Transaction t(db_);
  auto s = db_.prepare("INSERT OR IGNORE INTO tags(run_id, tag) VALUES(?, ?)");
  for (const auto& tag : tags) {
    if (tag.empty()) throw std::runtime_error("a tag cannot be empty");
    s.bind(1, run).bind(2, tag).run();
  }
  saveAnnotations(run);
  t.commit();
}

void WorkspaceIndex::removeTags(int64_t run, const std::vector<std::string>& tags) {
  Transaction t(db_);
  auto s = db_.prepare("DELETE FROM tags WHERE run_id = ? AND tag = ?");
  for (const auto& tag : tags) s.bind(1, run).bind(2, tag).run();
  saveAnnotations(run);
  t.commit();
}

void WorkspaceIndex::addNote(int64_t run, const std::string& text) {
  if (text.empty()) throw std::runtime_error("a note cannot be empty");
  Transaction t(db_);
  auto s = db_.prepare("INSERT INTO notes(run_id, created, text) VALUES(?, ?, ?)");
  s.bind(1, run).bind(2, protocol::unixTime()).bind(3, text).run();
  saveAnnotations(run);
  t.commit();
}

fs::path WorkspaceIndex::removeRun(int64_t run) {
  const fs::path from = runPath(run);
  const fs::path trash = workspace_ / "trash";
  fs::create_directories(trash);
  fs::path to = trash / from.filename();
  for (int i = 2; fs::exists(to); ++i) to = trash / (from.filename().string() + "-" + std::to_string(i));
  Transaction t(db_);
  auto s = db_.prepare("DELETE FROM runs WHERE id = ?");
  s.bind(1, run).run();
  if (fs::exists(from)) fs::rename(from, to);
  t.commit();
  return to;
}

}  // namespace reef::storage

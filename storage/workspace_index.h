#pragma once
// The SQLite index of one workspace (<workspace>/reef.db): brought up to date from the run
// directories and sweep folders by sync(), recreated from them by rebuild(), and the place where tags, notes and
// removals are made (in the run directory as well, so a rebuild keeps them).
#include "storage/run_ingestor.h"
#include "storage/sqlite.h"

#include <filesystem>
#include <string>
#include <vector>

namespace reef::storage {

struct SyncReport {
  int runs = 0;
  int created = 0;
  int removed = 0;  // rows whose run directory no longer exists
  int sweeps = 0;   // sweep folders
  int64_t lines = 0, points = 0, malformed = 0, repaired = 0;
  std::vector<std::string> warnings;
};

class WorkspaceIndex {
 public:
  explicit WorkspaceIndex(const std::filesystem::path& workspace);
  static std::filesystem::path databasePath(const std::filesystem::path& workspace);

  // Ingests what is new in every run directory under runs/ and every sweep under sweeps/, and
  // drops rows of vanished ones.
  SyncReport sync(int64_t batchLines = 50000);
  IngestReport syncRun(const std::filesystem::path& runDir, int64_t batchLines = 50000);
  // Recreates the database from the run directories (into a new file, renamed over the old one).
  static SyncReport rebuild(const std::filesystem::path& workspace);

  // A run by its id (its directory's name), a part of the id that only it has, or its path.
  int64_t resolveRun(const std::string& reference);
  std::filesystem::path runPath(int64_t run);
  void addTags(int64_t run, const std::vector<std::string>& tags);
  void removeTags(int64_t run, const std::vector<std::string>& tags);
  void addNote(int64_t run, const std::string& text);
  // Moves the run directory into <workspace>/trash/ and drops it from the index; returns where
  // it went.
  std::filesystem::path removeRun(int64_t run);

  Database& db() { return db_; }
  const std::filesystem::path& workspace() const { return workspace_; }

 private:
  void markVanishedProcesses();
  void markRequeuedJobs();
  void saveAnnotations(int64_t run);

  std::filesystem::path workspace_;
  Database db_;
  RunIngestor ingestor_;
};

}  // namespace reef::storage

#pragma once
// Follows one run directory into the database: its spec (as params), annotations, and the new
// complete lines of events.jsonl since the byte offset stored with the run. Each batch of lines
// is committed together with the offset after it, so an ingest killed at any moment resumes
// exactly where the last commit left off: no point is lost or stored twice.
#include "storage/metric_store.h"
#include "storage/sqlite.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace reef::storage {

struct IngestReport {
  int64_t lines = 0;
  int64_t points = 0;
  int64_t malformed = 0;     // lines skipped: not an event even after repair
  int64_t repaired = 0;      // lines read after replacing non-UTF-8 bytes or NaN/Infinity tokens
  int64_t unknownTypes = 0;  // events of types this Reef does not know (ignored, as the protocol says)
  bool created = false;      // the run was new to the database
  std::vector<std::string> warnings;
};

class RunIngestor {
 public:
  explicit RunIngestor(Database& db);

  // Indexes `runDir` (creating its row on first sight) and ingests what is new in its events.
  IngestReport sync(const std::filesystem::path& runDir, int64_t batchLines = 50000);

 private:
  Database& db_;
  MetricWriter writer_;
};

}  // namespace reef::storage

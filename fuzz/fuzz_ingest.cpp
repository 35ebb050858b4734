// The run index following a run directory: the input is events.jsonl written in two parts (the
// index syncs after each, as it does while a run trains), ingested into an in-memory database.
// SQLite refusing what the ingestor wrote is a finding; the ingestor may refuse the run.
#include "backend/protocol/event_log.h"
#include "fuzz/fuzz_input.h"
#include "storage/run_ingestor.h"
#include "storage/schema.h"

#include <fstream>

using namespace reef;
namespace fs = std::filesystem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path run = fuzz::asFile(data, 0).parent_path() / "runs" / "20261203-000000-fuzz00";
  fs::create_directories(run);
  std::ofstream(run / "spec.yaml", std::ios::trunc) << "model: {collection: vision, arch: cnn}\n"
                                                       "exp: {name: fuzz, monitor: val/acc, monitor_mode: max}\n";
  storage::Database db(":memory:");
  storage::migrate(db);
  storage::RunIngestor ingestor(db);
  const size_t half = size / 2;
  try {
    std::ofstream(run / "events.jsonl", std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(half));
    ingestor.sync(run, 3);
    std::ofstream(run / "events.jsonl", std::ios::binary | std::ios::app)
        .write(reinterpret_cast<const char*>(data + half), static_cast<std::streamsize>(size - half));
    ingestor.sync(run, 3);
  } catch (const storage::SqliteError& e) {
    fuzz::finding(std::string("SQLite refused the ingestor: ") + e.what());
  } catch (const std::exception&) {
  }
  return 0;
}

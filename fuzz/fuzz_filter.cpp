// The run filter language (`reef runs list --filter`, the studio's filter box) compiled and run
// against an index with two runs. A FilterError is the language refusing the text; SQLite
// refusing the SQL it compiled is a finding.
#include "fuzz/fuzz_input.h"
#include "storage/run_query.h"
#include "storage/schema.h"

using namespace reef;

namespace {

storage::Database& database() {
  static storage::Database db = [] {
    storage::Database d(":memory:");
    storage::migrate(d);
    d.exec(
        "INSERT INTO runs(run_id, path, name, status, started) VALUES ('r1', '/r1', 'mnist', 'completed', 1), "
        "('r2', '/r2', 'smoke', 'failed', 2);"
        "INSERT INTO params(run_id, key, type, num, text) VALUES (1, 'optim.lr', 'float', 0.001, '0.001');"
        "INSERT INTO tags(run_id, tag) VALUES (1, 'baseline');"
        "INSERT INTO metric_keys(id, name) VALUES (1, 'val/acc');"
        "INSERT INTO metric_summary(run_id, key_id, last, max, count) VALUES (1, 1, 0.9, 0.95, 3);");
    return d;
  }();
  return db;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input = fuzz::text(data, size);
  // The text after the first tab, if any, is a column and sort field.
  const size_t tab = input.find('\t');
  storage::RunListOptions options;
  options.filter = input.substr(0, tab);
  if (tab != std::string::npos) {
    options.columns = {input.substr(tab + 1)};
    options.sort = input.substr(tab + 1);
  }
  try {
    storage::listRuns(database(), options);
  } catch (const storage::SqliteError& e) {
    fuzz::finding(std::string("SQLite refused a compiled filter: ") + e.what());
  } catch (const std::exception&) {
  }
  return 0;
}

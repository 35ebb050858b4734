#include "backend/engine/core/data_settings.h"

#include "backend/engine/core/version.h"

#include <cstdlib>

namespace reef::engine {

protocol::Section commonDataParams() {
  using namespace protocol;
  return {
      intParam("batch_size", 64, 1, 1 << 20, "Training samples per batch (per rank)"),
      intParam("eval_batch_size", 256, 1, 1 << 20, "Samples per batch when validating and testing"),
      intParam("workers", 2, 0, 256, "Threads that build batches ahead of the training loop; 0 builds them inline"),
      stringParam("root", "", "Folder of prepared datasets; empty uses $REEF_DATA or the project's data/ folder"),
  };
}

DataSettings DataSettings::fromSpec(const Json& spec) {
  const Json& d = spec.at("data");
  DataSettings s;
  s.batchSize = d.at("batch_size").get<int64_t>();
  s.evalBatchSize = d.at("eval_batch_size").get<int64_t>();
  s.workers = d.at("workers").get<int>();
  s.root = d.at("root").get<std::string>();
  return s;
}

std::filesystem::path resolveDataRoot(const DataSettings& settings) {
  if (!settings.root.empty()) return settings.root;
  if (const char* env = std::getenv("REEF_DATA"); env && *env) return env;
  return REEF_DEFAULT_DATA_DIR;
}

}  // namespace reef::engine

#pragma once
// The keys every collection's `data` section has (the engine's data loader reads them); a
// collection appends its own (dataset, splits, ...) when it registers.
#include "backend/protocol/json.h"
#include "backend/protocol/schema.h"

#include <cstdint>
#include <filesystem>
#include <string>

namespace reef::engine {

protocol::Section commonDataParams();

struct DataSettings {
  int64_t batchSize = 64;
  int64_t evalBatchSize = 256;
  int workers = 2;
  std::string root;
  static DataSettings fromSpec(const Json& resolved);
};

// data.root when set, else $REEF_DATA, else the folder the project's data script fills.
std::filesystem::path resolveDataRoot(const DataSettings& settings);

}  // namespace reef::engine

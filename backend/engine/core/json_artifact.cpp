#include "backend/engine/core/json_artifact.h"

#include <fstream>
#include <stdexcept>

namespace reef::engine {

Artifact writeJsonArtifact(const std::filesystem::path& file, const std::string& kind, const Json& value) {
  std::ofstream out(file);
  out << value.dump(1, ' ', false, Json::error_handler_t::replace) << "\n";
  if (!out) throw std::runtime_error("cannot write '" + file.string() + "'");
  return {kind, file};
}

}  // namespace reef::engine

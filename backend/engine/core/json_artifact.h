#pragma once
// The JSON files evaluations leave for people and the studio (predictions, samples): indented,
// invalid UTF-8 in texts repaired rather than fatal, a write failure an error naming the file.
#include "backend/engine/core/model.h"

namespace reef::engine {

Artifact writeJsonArtifact(const std::filesystem::path& file, const std::string& kind, const Json& value);

}  // namespace reef::engine

#pragma once
// NeMo-style speech manifests: JSON lines {"audio_filepath", "duration", "text"} with optional
// "speaker" (and any other fields, kept in `extra`). A relative audio path is relative to the
// manifest's folder.
#include "backend/protocol/json.h"

#include <filesystem>
#include <string>
#include <vector>

namespace reef::protocol::audio {

struct ManifestEntry {
  std::filesystem::path audio;  // absolute
  double duration = 0;          // seconds
  std::string text, speaker;
  Json extra = Json::object();  // fields beyond the four above
};

// Throws naming the file and line of a malformed entry (not JSON, no audio_filepath, a duration
// that is not a positive number, no text) and when the file cannot be read.
std::vector<ManifestEntry> readManifest(const std::filesystem::path& file);

}  // namespace reef::protocol::audio

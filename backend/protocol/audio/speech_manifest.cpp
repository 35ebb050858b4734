#include "backend/protocol/audio/speech_manifest.h"

#include <fstream>
#include <stdexcept>

namespace reef::protocol::audio {

std::vector<ManifestEntry> readManifest(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read speech manifest '" + file.string() + "'");
  std::vector<ManifestEntry> entries;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const auto where = file.string() + ":" + std::to_string(number);
    Json row;
    try {
      row = Json::parse(line);
    } catch (const Json::exception& e) {
      throw std::runtime_error(where + ": not JSON (" + e.what() + ")");
    }
    if (!row.is_object() || !row.contains("audio_filepath") || !row["audio_filepath"].is_string())
      throw std::runtime_error(where + ": needs \"audio_filepath\" (a string)");
    if (!row.contains("text") || !row["text"].is_string())
      throw std::runtime_error(where + ": needs \"text\" (the transcript, a string)");
    if (!row.contains("duration") || !row["duration"].is_number() || row["duration"].get<double>() <= 0)
      throw std::runtime_error(where + ": needs \"duration\" (seconds, a positive number)");
    ManifestEntry e;
    const std::filesystem::path audio = row["audio_filepath"].get<std::string>();
    e.audio = audio.is_absolute() ? audio : file.parent_path() / audio;
    e.duration = row["duration"].get<double>();
    e.text = row["text"].get<std::string>();
    if (row.contains("speaker") && row["speaker"].is_string()) e.speaker = row["speaker"].get<std::string>();
    for (const auto& [key, value] : row.items())
      if (key != "audio_filepath" && key != "text" && key != "duration" && key != "speaker") e.extra[key] = value;
    entries.push_back(std::move(e));
  }
  return entries;
}

}  // namespace reef::protocol::audio

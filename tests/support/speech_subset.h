#pragma once
// Small speech corpora for the tests that train speech models: the first lines of a prepared
// manifest (scripts/prepare-data.sh), so that a test trains in seconds, not on the whole corpus.
#include "backend/protocol/audio/speech_manifest.h"
#include "backend/protocol/json.h"

#include <QString>
#include <QtGlobal>

#include <filesystem>
#include <fstream>
#include <string>

namespace reef::test {

// Where scripts/prepare-data.sh put the datasets: $REEF_DATA, else the checkout's data/.
inline std::filesystem::path dataRoot() {
  return qEnvironmentVariableIsEmpty("REEF_DATA")
             ? std::filesystem::path(REEF_SOURCE_DIR) / "data"
             : std::filesystem::path(qEnvironmentVariable("REEF_DATA").toStdString());
}

// The first `count` lines of `manifest` whose kind is `kind` (any kind when empty), with absolute
// audio paths, written to `out`.
inline void subset(const std::filesystem::path& manifest, const std::string& kind, size_t count,
                   const std::filesystem::path& out) {
  std::ofstream o(out);
  size_t kept = 0;
  for (const auto& e : protocol::audio::readManifest(manifest)) {
    if (!kind.empty() && e.extra.value("kind", "") != kind) continue;
    o << Json{{"audio_filepath", e.audio.string()}, {"duration", e.duration}, {"text", e.text}, {"speaker", e.speaker}}
             .dump()
      << "\n";
    if (++kept == count) break;
  }
}

}  // namespace reef::test

#pragma once
// Tags and notes a person adds to a run. They live in the run directory (annotations.json, written
// by storage, never by the engine) so that `reef db rebuild` recovers them like everything else.
#include <filesystem>
#include <string>
#include <vector>

namespace reef::storage {

struct RunNote {
  double time = 0;
  std::string text;
};

struct Annotations {
  std::vector<std::string> tags;
  std::vector<RunNote> notes;
};

// A missing file reads as empty; a corrupt one throws, naming it.
Annotations readAnnotations(const std::filesystem::path& runDir);
// Written to a temporary file and renamed into place.
void writeAnnotations(const std::filesystem::path& runDir, const Annotations& annotations);

}  // namespace reef::storage

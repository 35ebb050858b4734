#include "storage/annotations.h"

#include "backend/protocol/atomic_file.h"
#include "backend/protocol/json.h"

#include <fstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::storage {

Annotations readAnnotations(const fs::path& runDir) {
  const fs::path path = runDir / "annotations.json";
  Annotations a;
  std::ifstream in(path);
  if (!in) return a;
  Json j = Json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw std::runtime_error("'" + path.string() +
                             "' is not valid JSON: fix or delete it (it holds the run's tags and notes)");
  for (const auto& t : j.value("tags", Json::array()))
    if (t.is_string()) a.tags.push_back(t.get<std::string>());
  for (const auto& n : j.value("notes", Json::array()))
    if (n.is_object() && n.contains("text") && n["text"].is_string())
      a.notes.push_back({n.value("time", 0.0), n["text"].get<std::string>()});
  return a;
}

void writeAnnotations(const fs::path& runDir, const Annotations& a) {
  Json j;
  j["tags"] = a.tags;
  Json notes = Json::array();
  for (const auto& n : a.notes) notes.push_back({{"time", n.time}, {"text", n.text}});
  j["notes"] = notes;
  protocol::writeFileAtomically(runDir / "annotations.json", j.dump(2) + "\n");
}

}  // namespace reef::storage

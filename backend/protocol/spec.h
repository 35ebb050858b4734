#pragma once
// The experiment spec: YAML with the sections model, data, trainer, optim and exp. Resolution
// checks every key against the catalog's schema and fills in defaults, so that spec.yaml in a run
// directory is complete and says exactly what ran.
#include "backend/protocol/catalog.h"
#include "backend/protocol/json.h"

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace reef::protocol {

struct SpecIssue {
  std::string key;  // "optim.lr", or a section name, or "" for the whole document
  std::string message;
};

// Every problem found in one spec, so that a person can fix them all at once.
class SpecError : public std::runtime_error {
 public:
  SpecError(std::string source, std::vector<SpecIssue> issues);
  const std::string& source() const { return source_; }
  const std::vector<SpecIssue>& issues() const { return issues_; }

 private:
  std::string source_;
  std::vector<SpecIssue> issues_;
};

Json loadSpecFile(const std::filesystem::path& path);
// Applies "section.key=value" (the value read as YAML) to an unresolved spec.
void applyOverride(Json& raw, const std::string& assignment);
// Throws SpecError listing every unknown key, missing key and out-of-range value.
Json resolveSpec(const Json& raw, const Catalog& catalog, const std::string& source);
// Stable identity of a resolved spec (hex of a 64-bit FNV-1a over its canonical JSON).
std::string specHash(const Json& resolved);

}  // namespace reef::protocol

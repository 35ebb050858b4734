#pragma once
// The catalog: every collection and model the engine knows, with the schema of every spec
// section. The engine builds it from its registry; the studio reads it from `reef catalog --json`.
#include "schema.h"

#include <string>
#include <utility>
#include <vector>

namespace reef::protocol {

struct ModelInfo {
  std::string arch;
  std::string description;
  Section params;  // keys of the spec's `model` section besides `collection` and `arch`
};

struct CollectionInfo {
  std::string name;
  std::string description;
  Section data;  // keys of the spec's `data` section
  std::vector<ModelInfo> models;
};

struct Catalog {
  std::string engineVersion;
  // Sections every spec shares (trainer, optim, exp), in the order a spec lists them.
  std::vector<std::pair<std::string, Section>> sections;
  std::vector<CollectionInfo> collections;

  const CollectionInfo* collection(const std::string& name) const;
  const ModelInfo* model(const std::string& collection, const std::string& arch) const;
  const Section* section(const std::string& name) const;

  Json toJson() const;
  static Catalog fromJson(const Json& json);
};

}  // namespace reef::protocol

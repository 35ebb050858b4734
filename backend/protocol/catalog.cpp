#include "backend/protocol/catalog.h"

namespace reef::protocol {

namespace {

Json capabilitiesJson(const ModelCapabilities& c) {
  Json artifacts = Json::array();
  for (const auto& a : c.artifacts) artifacts.push_back({{"kind", a.kind}, {"view", a.view}});
  return {{"export_formats", c.exportFormats},
          {"serving", c.serving},
          {"artifacts", artifacts},
          {"views", c.views},
          {"eval_split", c.evalSplit}};
}

// Missing keys keep their defaults, so that an older engine's catalog still reads.
ModelCapabilities capabilitiesFromJson(const Json& j) {
  ModelCapabilities c;
  c.exportFormats = j.value("export_formats", std::vector<std::string>{"bundle"});
  c.serving = j.value("serving", "none");
  for (const auto& a : j.value("artifacts", Json::array()))
    c.artifacts.push_back({a.at("kind").get<std::string>(), a.at("view").get<std::string>()});
  c.views = j.value("views", std::vector<std::string>{});
  c.evalSplit = j.value("eval_split", "test");
  return c;
}

}  // namespace

const CollectionInfo* Catalog::collection(const std::string& name) const {
  for (const auto& c : collections)
    if (c.name == name) return &c;
  return nullptr;
}

const ModelInfo* Catalog::model(const std::string& collectionName, const std::string& arch) const {
  const CollectionInfo* c = collection(collectionName);
  if (!c) return nullptr;
  for (const auto& m : c->models)
    if (m.arch == arch) return &m;
  return nullptr;
}

const Section* Catalog::section(const std::string& name) const {
  for (const auto& [n, s] : sections)
    if (n == name) return &s;
  return nullptr;
}

Json Catalog::toJson() const {
  Json j;
  j["format"] = "reef-catalog";
  j["version"] = 1;
  j["engine_version"] = engineVersion;
  Json secs = Json::object();
  for (const auto& [name, section] : sections) secs[name] = protocol::toJson(section);
  j["sections"] = secs;
  Json cols = Json::array();
  for (const auto& c : collections) {
    Json cj;
    cj["name"] = c.name;
    cj["description"] = c.description;
    cj["data"] = protocol::toJson(c.data);
    Json models = Json::array();
    for (const auto& m : c.models)
      models.push_back({{"arch", m.arch},
                        {"description", m.description},
                        {"params", protocol::toJson(m.params)},
                        {"capabilities", capabilitiesJson(m.capabilities)}});
    cj["models"] = models;
    cols.push_back(cj);
  }
  j["collections"] = cols;
  return j;
}

Catalog Catalog::fromJson(const Json& j) {
  Catalog c;
  c.engineVersion = j.value("engine_version", "");
  for (const auto& [name, section] : j.at("sections").items()) c.sections.emplace_back(name, sectionFromJson(section));
  for (const auto& cj : j.at("collections")) {
    CollectionInfo col;
    col.name = cj.at("name").get<std::string>();
    col.description = cj.value("description", "");
    col.data = sectionFromJson(cj.at("data"));
    for (const auto& mj : cj.at("models"))
      col.models.push_back({mj.at("arch").get<std::string>(), mj.value("description", ""),
                            sectionFromJson(mj.at("params")),
                            capabilitiesFromJson(mj.value("capabilities", Json::object()))});
    c.collections.push_back(std::move(col));
  }
  return c;
}

}  // namespace reef::protocol

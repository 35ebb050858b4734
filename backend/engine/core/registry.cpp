#include "backend/engine/core/registry.h"

#include "backend/engine/core/data_settings.h"

#include <stdexcept>

namespace reef::engine {

void Registry::addCollection(const std::string& name, const std::string& description, protocol::Section data) {
  for (const auto& c : collections_)
    if (c.name == name) throw std::logic_error("collection '" + name + "' is registered twice");
  protocol::Section section = commonDataParams();
  section.insert(section.end(), data.begin(), data.end());
  collections_.push_back({name, description, std::move(section), {}});
}

void Registry::addModel(const std::string& collection, protocol::ModelInfo info, ModelFactory factory,
                        std::map<std::string, Exporter> exporters) {
  for (auto& c : collections_) {
    if (c.name != collection) continue;
    for (const auto& m : c.models)
      if (m.arch == info.arch)
        throw std::logic_error("model '" + collection + "/" + info.arch + "' is registered twice");
    info.capabilities.exportFormats = {"bundle"};
    for (const auto& [format, writer] : exporters) info.capabilities.exportFormats.push_back(format);
    factories_.push_back({collection, info.arch, std::move(factory), std::move(exporters)});
    c.models.push_back(std::move(info));
    return;
  }
  throw std::logic_error("model '" + info.arch + "' names unknown collection '" + collection + "'");
}

const Registry::Entry& Registry::entry(const Json& spec) const {
  const std::string collection = spec.at("model").at("collection").get<std::string>();
  const std::string arch = spec.at("model").at("arch").get<std::string>();
  for (const auto& f : factories_)
    if (f.collection == collection && f.arch == arch) return f;
  throw std::runtime_error("no model '" + arch + "' in collection '" + collection +
                           "': `reef catalog` lists the models this engine has");
}

std::unique_ptr<Model> Registry::create(const ModelContext& context) const {
  return entry(context.spec).factory(context);
}

const protocol::ModelInfo& Registry::modelInfo(const Json& spec) const {
  const Entry& e = entry(spec);
  for (const auto& c : collections_)
    if (c.name == e.collection)
      for (const auto& m : c.models)
        if (m.arch == e.arch) return m;
  throw std::logic_error("model '" + e.collection + "/" + e.arch + "' has a factory but no declaration");
}

const Exporter& Registry::exporter(const Json& spec, const std::string& format) const {
  const Entry& e = entry(spec);
  const auto found = e.exporters.find(format);
  if (found != e.exporters.end()) return found->second;
  std::string formats;
  for (const auto& f : modelInfo(spec).capabilities.exportFormats) formats += (formats.empty() ? "" : ", ") + f;
  throw std::runtime_error("a " + e.collection + "/" + e.arch + " model does not export as " + format +
                           "; its formats: " + formats + " (`reef catalog --json` lists every model's)");
}

}  // namespace reef::engine

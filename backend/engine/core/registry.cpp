#include "core/registry.h"

#include "core/data_settings.h"

#include <stdexcept>

namespace reef::engine {

void Registry::addCollection(const std::string& name, const std::string& description,
                             protocol::Section data) {
  for (const auto& c : collections_)
    if (c.name == name) throw std::logic_error("collection '" + name + "' is registered twice");
  protocol::Section section = commonDataParams();
  section.insert(section.end(), data.begin(), data.end());
  collections_.push_back({name, description, std::move(section), {}});
}

void Registry::addModel(const std::string& collection, protocol::ModelInfo info, ModelFactory factory) {
  for (auto& c : collections_) {
    if (c.name != collection) continue;
    for (const auto& m : c.models)
      if (m.arch == info.arch)
        throw std::logic_error("model '" + collection + "/" + info.arch + "' is registered twice");
    factories_.push_back({collection, info.arch, std::move(factory)});
    c.models.push_back(std::move(info));
    return;
  }
  throw std::logic_error("model '" + info.arch + "' names unknown collection '" + collection + "'");
}

std::unique_ptr<Model> Registry::create(const ModelContext& context) const {
  const std::string collection = context.spec.at("model").at("collection").get<std::string>();
  const std::string arch = context.spec.at("model").at("arch").get<std::string>();
  for (const auto& f : factories_)
    if (f.collection == collection && f.arch == arch) return f.factory(context);
  throw std::runtime_error("no model '" + arch + "' in collection '" + collection +
                           "': `reef catalog` lists the models this engine has");
}

}  // namespace reef::engine

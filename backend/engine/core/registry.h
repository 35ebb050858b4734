#pragma once
// Where collections declare their models: the schema and capabilities of each (for validation,
// the catalog, the studio, export and serving), a factory that builds it from a resolved spec, and
// its exporters.
#include "backend/engine/core/exporter.h"
#include "backend/engine/core/model.h"
#include "backend/protocol/catalog.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace reef::engine {

using ModelFactory = std::function<std::unique_ptr<Model>(const ModelContext&)>;

class Registry {
 public:
  // Declares a collection and the keys of its `data` section beyond the common ones
  // (batch_size, eval_batch_size, workers, root).
  void addCollection(const std::string& name, const std::string& description, protocol::Section data);
  // Declares a model. Its capabilities' export formats are set here: "bundle" (every model) and
  // the formats of `exporters`.
  void addModel(const std::string& collection, protocol::ModelInfo info, ModelFactory factory,
                std::map<std::string, Exporter> exporters = {});

  // Builds the model that context.spec's model.collection and model.arch name.
  std::unique_ptr<Model> create(const ModelContext& context) const;
  const std::vector<protocol::CollectionInfo>& collections() const { return collections_; }
  // The declaration of the model a resolved spec names.
  const protocol::ModelInfo& modelInfo(const Json& spec) const;
  // The writer of `format` for the model a resolved spec names; throws naming the formats it has.
  const Exporter& exporter(const Json& spec, const std::string& format) const;

 private:
  struct Entry {
    std::string collection;
    std::string arch;
    ModelFactory factory;
    std::map<std::string, Exporter> exporters;
  };
  const Entry& entry(const Json& spec) const;
  std::vector<protocol::CollectionInfo> collections_;
  std::vector<Entry> factories_;
};

}  // namespace reef::engine

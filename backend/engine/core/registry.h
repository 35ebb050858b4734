#pragma once
// Where collections declare their models: the schema of each (for validation, the catalog and the
// studio's forms) and a factory that builds it from a resolved spec.
#include "core/model.h"
#include "protocol/catalog.h"

#include <functional>
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
  void addModel(const std::string& collection, protocol::ModelInfo info, ModelFactory factory);

  // Builds the model that context.spec's model.collection and model.arch name.
  std::unique_ptr<Model> create(const ModelContext& context) const;
  const std::vector<protocol::CollectionInfo>& collections() const { return collections_; }

 private:
  struct Entry {
    std::string collection;
    std::string arch;
    ModelFactory factory;
  };
  std::vector<protocol::CollectionInfo> collections_;
  std::vector<Entry> factories_;
};

}  // namespace reef::engine

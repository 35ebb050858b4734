#include "app/reef/commands.h"
#include "backend/collections/collections.h"
#include "backend/engine/trainer/engine_catalog.h"
#include "backend/protocol/number_format.h"

#include <cstdio>

namespace reef::app {

namespace {

void printSection(const std::string& title, const protocol::Section& section) {
  std::printf("  %s\n", title.c_str());
  for (const auto& p : section) {
    const std::string def =
        p.defaultValue.is_string() ? "\"" + p.defaultValue.get<std::string>() + "\"" : p.defaultValue.dump();
    std::printf("    %-26s %-7s default %-10s %s; %s\n", p.key.c_str(), protocol::paramTypeName(p.type), def.c_str(),
                p.description.c_str(), p.allowed().c_str());
  }
}

}  // namespace

void addCatalogCommand(CLI::App& app, int& status) {
  auto* cmd = app.add_subcommand("catalog", "List the collections and models this engine has, with every setting");
  auto json = std::make_shared<bool>(false);
  cmd->add_flag("--json", *json, "Print the full schema as JSON (what reef-studio reads)");
  cmd->callback([json, &status] {
    const protocol::Catalog catalog = engine::engineCatalog(collections::builtinRegistry());
    if (*json) {
      std::printf("%s\n", catalog.toJson().dump(2).c_str());
      status = 0;
      return;
    }
    std::printf("Reef engine %s\n\n", catalog.engineVersion.c_str());
    for (const auto& c : catalog.collections) {
      std::printf("collection %s: %s\n", c.name.c_str(), c.description.c_str());
      printSection("data", c.data);
      for (const auto& m : c.models) printSection("model " + m.arch + ": " + m.description, m.params);
      std::printf("\n");
    }
    for (const auto& [name, section] : catalog.sections) printSection(name, section);
    status = 0;
  });
}

}  // namespace reef::app

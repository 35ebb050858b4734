#pragma once
// `reef export` as a library: a loaded run or bundle written in one of its model's formats (the
// catalog's capabilities.export_formats). "bundle" is written here for every model; the other
// formats by the exporters the model's collection registered. Every file is read back and checked.
#include "backend/engine/core/exporter.h"
#include "backend/engine/core/registry.h"
#include "backend/engine/trainer/loaded_run.h"

#include <filesystem>
#include <string>

namespace reef::exporting {

struct ExportOptions {
  std::string format;
  std::filesystem::path out;  // empty: the default destination (defaultDestination)
  std::string name;           // the model's name in the files; empty: the spec's exp.name
  std::string weightType = "f16";
  int64_t maxBatch = 64;
};

// Beside a bundle, or in the run's exports/: <name>-step-<N>.reef (bundle), hf-step-<N>/ (hf),
// <name>-step-<N>-<type>.gguf (gguf), triton/ (triton), <name>-step-<N>.<format> otherwise.
std::filesystem::path defaultDestination(const engine::LoadedRun& loaded, const ExportOptions& options);

// Writes the export and returns its files and checks; throws naming the formats the model has
// when it has not this one.
engine::ExportedModel exportModel(const engine::Registry& registry, engine::LoadedRun& loaded,
                                  const ExportOptions& options);

}  // namespace reef::exporting

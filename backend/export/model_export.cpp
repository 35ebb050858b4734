#include "backend/export/model_export.h"

#include "backend/engine/core/tensor_io.h"
#include "backend/export/formats/export_checks.h"

namespace fs = std::filesystem;

namespace reef::exporting {

fs::path defaultDestination(const engine::LoadedRun& loaded, const ExportOptions& o) {
  const fs::path exports = loaded.bundle.empty() ? loaded.run.exports() : loaded.bundle.parent_path();
  const std::string step = "step-" + std::to_string(loaded.step);
  const std::string stem = engine::modelName(loaded) + "-" + step;
  if (o.format == "bundle") return exports / (stem + ".reef");
  if (o.format == "hf") return exports / ("hf-" + step);
  if (o.format == "gguf") return exports / (stem + "-" + o.weightType + ".gguf");
  if (o.format == "triton") return exports / "triton";
  return exports / (stem + "." + o.format);
}

namespace {

engine::ExportedModel writeBundle(const engine::LoadedRun& loaded, const fs::path& file) {
  engine::writeBundleOf(loaded, file);
  return {{file},
          {checkBundleMetadata(file, loaded.spec, loaded.step, loaded.model->inferenceAssets()->size()),
           checkSafetensorsWeights(file, engine::moduleState(loaded.model->module()))},
          {}};
}

}  // namespace

engine::ExportedModel exportModel(const engine::Registry& registry, engine::LoadedRun& loaded, const ExportOptions& o) {
  engine::ExportRequest request;
  request.destination = o.out.empty() ? defaultDestination(loaded, o) : o.out;
  if (o.format == "bundle") return writeBundle(loaded, request.destination);
  const engine::Exporter& exporter = registry.exporter(loaded.spec, o.format);
  request.name = o.name.empty() ? engine::modelName(loaded) : o.name;
  request.weightType = o.weightType;
  request.maxBatch = o.maxBatch;
  if (request.destination.has_parent_path()) fs::create_directories(request.destination.parent_path());
  loaded.model->to(torch::kCPU);
  loaded.model->module().eval();
  return exporter(*loaded.model, loaded.spec, request);
}

}  // namespace reef::exporting

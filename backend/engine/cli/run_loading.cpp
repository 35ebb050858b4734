#include "cli/run_loading.h"

#include "builtin_registry.h"
#include "core/data_settings.h"
#include "core/runtime.h"
#include "core/tensor_io.h"
#include "protocol/spec.h"
#include "protocol/yaml_json.h"
#include "trainer/checkpoint.h"
#include "trainer/trainer.h"

#include <fstream>

namespace reef::engine {

LoadedRun loadRun(const std::string& target, const std::string& checkpoint, const std::vector<std::string>& sets) {
  const CheckpointRef ref = findCheckpoint(target, checkpoint);
  LoadedRun loaded;
  loaded.run = ref.run;
  loaded.step = ref.step;
  Json raw = protocol::loadSpecFile(loaded.run.spec());
  for (const auto& s : sets) protocol::applyOverride(raw, s);
  loaded.spec = protocol::resolveSpec(raw, engineCatalog(), loaded.run.spec().string());
  loaded.settings = RunSettings::fromSpec(loaded.spec);
  configureRuntime(loaded.settings.trainer.threads);
  loaded.device = pickDevice(loaded.settings.trainer.accelerator);
  loaded.model = builtinRegistry().create({loaded.spec, resolveDataRoot(DataSettings::fromSpec(loaded.spec))});
  loadModuleState(loaded.model->module(), loadTensors(ref.weights()), ref.weights().string());
  loaded.model->to(loaded.device);
  return loaded;
}

void writeRunSpec(const protocol::RunDir& run, const Json& resolved) {
  const std::filesystem::path temp = run.spec().string() + ".tmp";
  std::ofstream out(temp, std::ios::trunc);
  out << "# Resolved by reef " << engineCatalog().engineVersion << ": every key, defaults filled in.\n"
      << protocol::toYaml(resolved);
  out.flush();
  if (!out) throw std::runtime_error("cannot write '" + temp.string() + "' (is the disk full?)");
  out.close();
  std::filesystem::rename(temp, run.spec());
}

}  // namespace reef::engine

#include "backend/engine/trainer/loaded_run.h"

#include "backend/engine/core/data_settings.h"
#include "backend/engine/core/runtime.h"
#include "backend/engine/core/tensor_io.h"
#include "backend/engine/core/version.h"
#include "backend/engine/trainer/checkpoint.h"
#include "backend/engine/trainer/engine_catalog.h"
#include "backend/engine/trainer/trainer.h"
#include "backend/protocol/atomic_file.h"
#include "backend/protocol/bundle.h"
#include "backend/protocol/spec.h"
#include "backend/protocol/yaml_json.h"

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

namespace reef::engine {

namespace {

std::shared_ptr<const std::filesystem::path> unpackedAssets(const protocol::Bundle& bundle);

LoadedRun loadBundle(const Registry& registry, const std::filesystem::path& file,
                     const std::vector<std::string>& sets) {
  const protocol::Bundle bundle = protocol::Bundle::open(file);
  LoadedRun loaded;
  loaded.bundle = file;
  loaded.step = bundle.step();
  Json raw = bundle.spec();
  for (const auto& s : sets) protocol::applyOverride(raw, s);
  loaded.spec = protocol::resolveSpec(raw, engineCatalog(registry), file.string());
  loaded.settings = RunSettings::fromSpec(loaded.spec);
  configureRuntime(loaded.settings.trainer.threads);
  loaded.device = pickDevice(loaded.settings.trainer.accelerator);
  // Where this machine has the model's own data (same tokenizer), use it, so that evaluation
  // works; otherwise the bundle's files go to a private data root that lives as long as the model.
  const std::filesystem::path dataRoot = resolveDataRoot(DataSettings::fromSpec(loaded.spec));
  if (bundle.assetsMatch(dataRoot)) {
    loaded.model = registry.create({loaded.spec, dataRoot});
  } else {
    loaded.assets = unpackedAssets(bundle);
    loaded.model = registry.create({loaded.spec, *loaded.assets});
  }
  std::map<std::string, torch::Tensor> weights;
  for (auto& [name, t] : loadTensors(file))
    if (!protocol::Bundle::isAsset(name)) weights.emplace(name, t);
  loadModuleState(loaded.model->module(), weights, file.string());
  loaded.model->to(loaded.device);
  return loaded;
}

// A process killed outright (SIGKILL, the OOM killer) leaves its unpacked assets behind: the next
// one to unpack removes the folders of processes that no longer run, named by their pid.
void removeAbandonedAssets(const std::filesystem::path& temp) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(temp, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("reef-bundle-", 0) != 0) continue;
    const long pid = std::strtol(name.c_str() + 12, nullptr, 10);
    if (pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
      std::filesystem::remove_all(entry.path(), ec);
  }
}

std::shared_ptr<const std::filesystem::path> unpackedAssets(const protocol::Bundle& bundle) {
  const std::filesystem::path temp = std::filesystem::temp_directory_path();
  removeAbandonedAssets(temp);
  std::string pattern = (temp / ("reef-bundle-" + std::to_string(::getpid()) + "-XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a folder in " + temp.string());
  auto folder = std::shared_ptr<const std::filesystem::path>(new std::filesystem::path(pattern),
                                                             [](const std::filesystem::path* p) {
                                                               std::error_code ec;
                                                               std::filesystem::remove_all(*p, ec);
                                                               delete p;
                                                             });
  bundle.extractAssets(*folder);
  return folder;
}

}  // namespace

LoadedRun loadRun(const Registry& registry, const std::string& target, const std::string& checkpoint,
                  const std::vector<std::string>& sets) {
  if (std::filesystem::is_regular_file(target)) return loadBundle(registry, target, sets);
  const CheckpointRef ref = findCheckpoint(target, checkpoint);
  LoadedRun loaded;
  loaded.run = ref.run;
  loaded.step = ref.step;
  Json raw = protocol::loadSpecFile(loaded.run.spec());
  for (const auto& s : sets) protocol::applyOverride(raw, s);
  loaded.spec = protocol::resolveSpec(raw, engineCatalog(registry), loaded.run.spec().string());
  loaded.settings = RunSettings::fromSpec(loaded.spec);
  configureRuntime(loaded.settings.trainer.threads);
  loaded.device = pickDevice(loaded.settings.trainer.accelerator);
  loaded.model = registry.create({loaded.spec, resolveDataRoot(DataSettings::fromSpec(loaded.spec))});
  loadModuleState(loaded.model->module(), loadCheckpointWeights(ref.weights()), ref.weights().string());
  loaded.model->to(loaded.device);
  return loaded;
}

void writeBundleOf(const LoadedRun& loaded, const std::filesystem::path& file) {
  const auto assets = loaded.model->inferenceAssets();
  if (!assets)
    throw std::runtime_error("a " + loaded.spec["model"]["collection"].get<std::string>() + "/" +
                             loaded.spec["model"]["arch"].get<std::string>() +
                             " model is built from its datasets, so it cannot travel as a bundle yet");
  const std::filesystem::path root =
      loaded.assets ? *loaded.assets : resolveDataRoot(DataSettings::fromSpec(loaded.spec));
  std::vector<protocol::BundleAsset> files;
  for (const auto& relative : *assets) {
    std::ifstream in(root / relative, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read '" + (root / relative).string() + "', which the model needs");
    files.push_back({relative, std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {})});
  }
  const NamedTensors state = moduleState(loaded.model->module());
  std::vector<torch::Tensor> cpu;
  std::vector<protocol::TensorData> weights;
  for (const auto& [name, t] : state) cpu.push_back(t.detach().cpu().contiguous());
  for (size_t i = 0; i < state.size(); ++i) weights.push_back(tensorData(state[i].first, cpu[i]));
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  protocol::writeBundle(file, loaded.spec, loaded.step, weights, files);
}

void writeRunSpec(const protocol::RunDir& run, const Json& resolved) {
  protocol::writeFileAtomically(run.spec(), std::string("# Resolved by reef ") + REEF_VERSION +
                                                ": every key, defaults filled in.\n" + protocol::toYaml(resolved));
}

std::string modelKind(const LoadedRun& loaded) {
  return loaded.spec["model"]["collection"].get<std::string>() + "/" + loaded.spec["model"]["arch"].get<std::string>();
}

std::string modelName(const LoadedRun& loaded) {
  const std::string name = loaded.spec["exp"].value("name", "");
  if (!name.empty()) return name;
  if (!loaded.bundle.empty()) return loaded.bundle.stem().string();
  std::filesystem::path root = std::filesystem::absolute(loaded.run.root()).lexically_normal();
  if (!root.has_filename()) root = root.parent_path();  // a trailing separator
  return root.filename().string();
}

}  // namespace reef::engine

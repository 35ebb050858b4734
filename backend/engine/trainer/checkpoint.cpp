#include "backend/engine/trainer/checkpoint.h"

#include "backend/engine/parallel/fully_sharded.h"
#include "backend/protocol/spec.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::engine {

namespace {

constexpr const char* kTempPrefix = ".incomplete-step-";

void fsyncPath(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open '" + path.string() + "' to sync it");
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw std::runtime_error("cannot sync '" + path.string() + "' to disk");
}

void writeTextFile(const fs::path& path, const std::string& text) {
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error("cannot write '" + path.string() + "' (is the disk full?)");
  }
  fsyncPath(path);
}

// Test hook for the crash-safety test: REEF_FAULT_KILL_IN_CHECKPOINT=<step> kills the process
// with SIGKILL half-way through writing that step's checkpoint.
void maybeDieHalfway(int64_t step) {
  const char* at = std::getenv("REEF_FAULT_KILL_IN_CHECKPOINT");
  if (at && std::to_string(step) == at) std::raise(SIGKILL);
}

std::optional<double> optionalNumber(const Json& j, const char* key) {
  if (!j.contains(key) || !j[key].is_number()) return std::nullopt;
  return j[key].get<double>();
}

}  // namespace

Json TrainerState::toJson() const {
  Json j;
  j["format"] = "reef-trainer-state";
  j["version"] = 1;
  j["step"] = step;
  j["epoch"] = position.epoch;
  j["batch_in_epoch"] = position.batch;
  j["optimizer_steps"] = optimizerSteps;
  j["samples_seen"] = samplesSeen;
  j["train_seconds"] = trainSeconds;
  j["monitor_value"] = monitorValue ? Json(*monitorValue) : Json();
  j["best_monitor"] = bestMonitor ? Json(*bestMonitor) : Json();
  j["validations_without_improvement"] = validationsWithoutImprovement;
  j["last_validation"] = lastValidation;
  j["spec_hash"] = specHash;
  return j;
}

TrainerState TrainerState::fromJson(const Json& j, const std::string& source) {
  if (!j.is_object() || j.value("format", "") != "reef-trainer-state")
    throw std::runtime_error("'" + source + "' is not a Reef trainer state");
  try {
    TrainerState s;
    s.step = j.at("step").get<int64_t>();
    s.position = {j.at("epoch").get<int64_t>(), j.at("batch_in_epoch").get<int64_t>()};
    s.optimizerSteps = j.at("optimizer_steps").get<int64_t>();
    s.samplesSeen = j.at("samples_seen").get<int64_t>();
    s.trainSeconds = j.at("train_seconds").get<double>();
    s.monitorValue = optionalNumber(j, "monitor_value");
    s.bestMonitor = optionalNumber(j, "best_monitor");
    s.validationsWithoutImprovement = j.at("validations_without_improvement").get<int64_t>();
    for (const auto& [k, v] : j.at("last_validation").items())
      if (v.is_number()) s.lastValidation[k] = v.get<double>();
    s.specHash = j.value("spec_hash", "");
    return s;
  } catch (const Json::exception& e) {
    throw std::runtime_error("'" + source + "' is incomplete: " + e.what());
  }
}

fs::path CheckpointStore::save(const TrainerState& state, const NamedTensors& weights,
                               const NamedTensors& trainerTensors) const {
  openStaging(state.step);
  return commit(state, weights, trainerTensors);
}

fs::path CheckpointStore::staging(int64_t step) const {
  return run_.checkpoints() / (kTempPrefix + std::to_string(step));
}

void CheckpointStore::openStaging(int64_t step) const {
  fs::remove_all(staging(step));
  fs::create_directories(staging(step));
}

fs::path CheckpointStore::commit(const TrainerState& state, const NamedTensors& weights,
                                 const NamedTensors& trainerTensors) const {
  const fs::path target = run_.checkpoint(state.step);
  const fs::path temp = staging(state.step);
  const std::map<std::string, std::string> meta = {{"format", "reef-checkpoint"}, {"step", std::to_string(state.step)}};
  saveTensors(temp / "model.safetensors", weights, meta);
  maybeDieHalfway(state.step);
  saveTensors(temp / "trainer_state.safetensors", trainerTensors, meta);
  writeTextFile(temp / "trainer_state.json", state.toJson().dump(2) + "\n");
  fsyncPath(temp);
  if (fs::exists(target)) fs::remove_all(target);
  fs::rename(temp, target);
  fsyncPath(run_.checkpoints());
  return target;
}

std::optional<int64_t> CheckpointStore::latest() const {
  auto steps = run_.checkpointSteps();
  if (steps.empty()) return std::nullopt;
  return steps.back();
}

std::optional<double> CheckpointStore::monitorOf(int64_t step) const {
  std::ifstream in(run_.checkpoint(step) / "trainer_state.json");
  if (!in) return std::nullopt;
  Json j = Json::parse(in, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  return optionalNumber(j, "monitor_value");
}

std::optional<int64_t> CheckpointStore::best(bool monitorMax) const {
  std::optional<int64_t> bestStep;
  std::optional<double> bestValue;
  for (int64_t step : run_.checkpointSteps()) {
    auto v = monitorOf(step);
    if (v && (!bestValue || (monitorMax ? *v >= *bestValue : *v <= *bestValue))) {
      bestValue = v;
      bestStep = step;
    }
  }
  return bestStep ? bestStep : latest();
}

LoadedCheckpoint CheckpointStore::load(int64_t step) const {
  const fs::path dir = run_.checkpoint(step);
  const std::string recover = " (delete '" + dir.string() + "' to resume from the checkpoint before it)";
  LoadedCheckpoint out;
  out.step = step;
  try {
    std::ifstream in(dir / "trainer_state.json");
    if (!in) throw std::runtime_error("'" + (dir / "trainer_state.json").string() + "' is missing");
    Json j = Json::parse(in, nullptr, false);
    if (j.is_discarded()) throw std::runtime_error("'" + (dir / "trainer_state.json").string() + "' is not valid JSON");
    out.state = TrainerState::fromJson(j, (dir / "trainer_state.json").string());
    out.weights = loadTensors(dir / "model.safetensors");
    out.trainerTensors = loadTensors(dir / "trainer_state.safetensors");
    if (hasShardedState(dir))  // FSDP: the blocks' parameters and optimizer moments, from every rank's shards
      for (auto& [suffix, tensors] : readShardedState(dir, shardedSuffixes(dir)))
        (suffix.empty() ? out.weights : out.trainerTensors).merge(tensors);
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("checkpoint step-") + std::to_string(step) + " is unusable: " + e.what() +
                             recover);
  }
  return out;
}

std::map<std::string, torch::Tensor> loadCheckpointWeights(const fs::path& modelFile) {
  std::map<std::string, torch::Tensor> weights = loadTensors(modelFile);
  if (hasShardedState(modelFile.parent_path())) weights.merge(readShardedState(modelFile.parent_path(), {""}).at(""));
  return weights;
}

void CheckpointStore::removeIncomplete() const {
  std::error_code ec;
  if (!fs::is_directory(run_.checkpoints(), ec)) return;
  std::vector<fs::path> stale;
  for (const auto& entry : fs::directory_iterator(run_.checkpoints(), ec))
    if (entry.path().filename().string().rfind(kTempPrefix, 0) == 0) stale.push_back(entry.path());
  for (const auto& p : stale) fs::remove_all(p);
}

std::vector<int64_t> CheckpointStore::applyRetention(int64_t keepTopK, bool monitorMax) const {
  std::vector<int64_t> steps = run_.checkpointSteps();
  if (keepTopK < 0 || steps.size() <= 1) return {};
  const int64_t newest = steps.back();
  std::vector<std::pair<std::optional<double>, int64_t>> ranked;
  for (int64_t s : steps) ranked.emplace_back(monitorOf(s), s);
  // Best first; checkpoints without a monitor value rank last; ties keep the newer one.
  std::stable_sort(ranked.begin(), ranked.end(), [&](const auto& a, const auto& b) {
    if (a.first.has_value() != b.first.has_value()) return a.first.has_value();
    if (a.first && *a.first != *b.first) return monitorMax ? *a.first > *b.first : *a.first < *b.first;
    return a.second > b.second;
  });
  std::vector<int64_t> removed;
  for (size_t i = 0; i < ranked.size(); ++i) {
    const int64_t s = ranked[i].second;
    if (s == newest || static_cast<int64_t>(i) < keepTopK) continue;
    fs::remove_all(run_.checkpoint(s));
    removed.push_back(s);
  }
  std::sort(removed.begin(), removed.end());
  return removed;
}

CheckpointRef findCheckpoint(const std::string& target, const std::string& which) {
  fs::path path = fs::path(target).lexically_normal();
  if (path.filename().empty()) path = path.parent_path();
  std::optional<int64_t> step;
  fs::path root = path;
  if (auto s = protocol::parseCheckpointDirName(path.filename().string())) {
    step = s;
    root = path.parent_path().parent_path();
  }
  CheckpointRef ref{protocol::RunDir(root), 0};
  if (!fs::exists(ref.run.spec()))
    throw std::runtime_error("'" + target + "' is neither a run directory nor a checkpoint in one (no " +
                             ref.run.spec().string() + ")");
  if (!step) {
    const CheckpointStore store(ref.run);
    if (which == "best") {
      // The run's spec.yaml is resolved: exp.monitor_mode is always there.
      const Json spec = protocol::loadSpecFile(ref.run.spec());
      const bool monitorMax = spec.contains("exp") && spec["exp"].value("monitor_mode", "min") == "max";
      step = store.best(monitorMax);
    } else if (which == "last") {
      step = store.latest();
    } else {
      try {
        step = std::stoll(which);
      } catch (const std::exception&) {
        throw std::runtime_error("checkpoint '" + which + "': expected best, last or a step number");
      }
    }
  }
  if (!step || !fs::exists(ref.run.checkpoint(*step)))
    throw std::runtime_error("'" + ref.run.root().string() + "' has no checkpoint" +
                             (step ? " step-" + std::to_string(*step) : std::string()) + ": train it first");
  ref.step = *step;
  return ref;
}

}  // namespace reef::engine

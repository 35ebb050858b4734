#pragma once
// The run directory (ARCHITECTURE.md): <workspace>/runs/<run-id>/ with spec.yaml, events.jsonl,
// checkpoints/step-<N>/, exports/, logs/rank-<R>.log, artifacts/. Paths are built here only.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace reef::protocol {

class RunDir {
 public:
  explicit RunDir(std::filesystem::path root) : root_(std::move(root)) {}

  // $REEF_WORKSPACE, or ./workspace.
  static std::filesystem::path defaultWorkspace();
  // A new run id: UTC time plus random hex, e.g. 20261127-031942-5f3a9c. Never user text.
  static std::string newRunId();
  // Creates <workspace>/runs/<new id>/ and returns it.
  static RunDir create(const std::filesystem::path& workspace);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path spec() const { return root_ / "spec.yaml"; }
  std::filesystem::path events() const { return root_ / "events.jsonl"; }
  std::filesystem::path checkpoints() const { return root_ / "checkpoints"; }
  std::filesystem::path checkpoint(int64_t step) const;
  std::filesystem::path logs() const { return root_ / "logs"; }
  std::filesystem::path rankLog(int rank) const;
  std::filesystem::path exports() const { return root_ / "exports"; }
  std::filesystem::path artifacts() const { return root_ / "artifacts"; }
  // Written by a sweep to stop this run early (JSON: {"reason": ...}); the trainer checks it after
  // every step, checkpoints and ends the run as stopped.
  std::filesystem::path stopRequest() const { return root_ / "stop_request.json"; }

  // Steps of the complete checkpoints (step-<N> folders; unfinished temporary folders excluded),
  // ascending.
  std::vector<int64_t> checkpointSteps() const;

  void createLayout() const;

 private:
  std::filesystem::path root_;
};

// Parses "step-<N>"; nullopt for anything else.
std::optional<int64_t> parseCheckpointDirName(const std::string& name);

}  // namespace reef::protocol

#pragma once
// A sweep's folder: <workspace>/sweeps/<sweep-id>/ with
//   sweep.json       the sweep as started (its base spec inline), never changed
//   state.json       the sweep's status and every trial, replaced whole (temporary file, fsync,
//                    rename), so a crash or a full disk leaves the previous state intact
//   controller.lock  held (flock) by the one controller that runs the sweep
//   stop_request     written by `reef sweep stop`
//   controller.log   what the controller did, one line per decision
// Sweep ids are generated like run ids. The trials' runs are ordinary run directories in
// <workspace>/runs/, labelled with exp.sweep = "<sweep-id>/<trial number>".
#include "backend/sweep/sweep_spec.h"
#include "backend/sweep/trial.h"

#include <filesystem>
#include <string>
#include <vector>

namespace reef::sweep {

struct SweepState {
  std::string status = "running";  // running | completed | stopped | failed
  std::string message;             // why it ended, for people
  std::string target = "local";    // where trials run: local, or a cluster profile's name
  int parallel = 1;                // trials at once
  double startedAt = 0, endedAt = 0;
  std::vector<Trial> trials;

  // The completed trial with the best finite value of `metric`, or nullptr.
  const Trial* best(const Objective& metric) const;
  Json toJson() const;
  static SweepState fromJson(const Json& json);
};

class SweepStore {
 public:
  // A new sweep folder for `sweep`, with an empty running state.
  static SweepStore create(const std::filesystem::path& workspace, const SweepSpec& sweep, const std::string& target,
                           int parallel);
  // The sweep `id` (or the one sweep whose id starts with it); throws naming the choices.
  static SweepStore open(const std::filesystem::path& workspace, const std::string& id);
  // Every sweep of the workspace, oldest first.
  static std::vector<std::string> list(const std::filesystem::path& workspace);

  const std::string& id() const { return id_; }
  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path workspace() const { return root_.parent_path().parent_path(); }
  std::filesystem::path stopRequest() const { return root_ / "stop_request"; }
  std::filesystem::path lockFile() const { return root_ / "controller.lock"; }
  std::filesystem::path logFile() const { return root_ / "controller.log"; }

  // Whether a controller holds the sweep now (its lock is taken).
  bool controllerRunning() const;

  SweepSpec spec() const;
  SweepState load() const;
  // Replaces state.json atomically; throws naming the file (and "is the disk full?") on failure,
  // leaving the previous state in place.
  void save(const SweepState& state) const;
  // Appends a line to controller.log (best effort).
  void log(const std::string& line) const;

 private:
  SweepStore(std::string id, std::filesystem::path root) : id_(std::move(id)), root_(std::move(root)) {}
  std::string id_;
  std::filesystem::path root_;
};

}  // namespace reef::sweep

#pragma once
// Runs on a cluster reached over SSH: with Slurm (the job script submitted by sbatch, watched with
// squeue/sacct, cancelled with scancel) or on a host without a scheduler (a detached process). The
// run directory is staged on the cluster by SFTP; a local run directory of the same id mirrors it:
// events.jsonl (whole lines only) and the logs are copied from the byte offset the local copy has
// reached, so the run index ingests a remote run exactly as a local one, and following resumes
// after a dropped link or a closed program with nothing lost or doubled.
#include "cluster/backend.h"
#include "cluster/cluster_profile.h"
#include "cluster/slurm_job.h"
#include "cluster/ssh_session.h"

#include <chrono>
#include <functional>
#include <memory>

namespace reef::cluster {

// A local run directory's link to where the run executes: <run>/cluster.json.
struct RemoteRun {
  std::string cluster, scheduler, job, remoteDir;
  static bool isRemote(const std::filesystem::path& runDir);
  static RemoteRun read(const std::filesystem::path& runDir);  // throws when the run is not a remote one
  void write(const std::filesystem::path& runDir) const;
};

class RemoteBackend : public Backend {
 public:
  explicit RemoteBackend(ClusterProfile profile, JobResources resources = {});
  std::string name() const override { return profile_.name; }
  LaunchedRun submit(const LaunchRequest& request) override;
  // Submits the job again in the same remote run directory: the engine continues from the latest
  // checkpoint. `reefBinary` is unused: the profile names the engine on the cluster.
  LaunchedRun resume(const std::filesystem::path& runDir, const std::filesystem::path& reefBinary) override;
  void cancel(const std::filesystem::path& runDir, int64_t job) override;
  RunState follow(const std::filesystem::path& runDir) override;
  void fetch(const std::filesystem::path& runDir, const std::string& relative) override;

  // follow() until the run finishes or `onUpdate` returns false; after a dropped link it reconnects
  // with back-off (1 s, doubling to 30 s) and carries on from the local offsets. A host key that
  // changed meanwhile ends it with the HostKeyError.
  RunState followToEnd(const std::filesystem::path& runDir, std::chrono::milliseconds interval,
                       const std::function<bool(const RunState&)>& onUpdate = {});

  SshSession& session();  // connected on first use

 private:
  LaunchedRun start(const std::filesystem::path& runDir, const std::string& remoteDir, const std::vector<std::string>& overrides);
  RunState jobState(const RemoteRun& run);
  bool mirror(const std::string& remote, const std::filesystem::path& local, bool wholeLines);

  ClusterProfile profile_;
  JobResources resources_;
  std::unique_ptr<SshSession> session_;
};

}  // namespace reef::cluster

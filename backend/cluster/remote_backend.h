#pragma once
// Runs on a cluster reached over SSH: with Slurm (the job script submitted by sbatch, watched with
// squeue/sacct, cancelled with scancel) or on a host without a scheduler (a detached process). The
// run directory is staged on the cluster by SFTP; a local run directory of the same id mirrors it:
// events.jsonl (whole lines only) and the logs are copied from the byte offset the local copy has
// reached, so the run index ingests a remote run exactly as a local one, and following resumes
// after a dropped link or a closed program with nothing lost or doubled.
#include "backend/cluster/backend.h"
#include "backend/cluster/cluster_profile.h"
#include "backend/cluster/slurm_job.h"
#include "backend/cluster/ssh_session.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>

namespace reef::cluster {

// A local run directory's link to where the run executes: <run>/cluster.json. It also records how
// far events.jsonl is mirrored: `eventsOffset` bytes of the remote file make up the first
// `eventsSize` bytes of the local one (which may end with a run_finished written here for a job
// that died without one). A local file longer than eventsSize holds a copy cut short by a crash;
// it is truncated back before copying again, so nothing is ever doubled.
struct RemoteRun {
  std::string cluster, scheduler, job, remoteDir;
  std::string state;       // the scheduler's word when last followed (SUBMITTING, PENDING, RUNNING, ...)
  JobResources resources;  // what the job asked for (a resume asks for the same)
  uint64_t eventsOffset = 0, eventsSize = 0;
  static bool isRemote(const std::filesystem::path& runDir);
  static RemoteRun read(const std::filesystem::path& runDir);  // throws when the run is not a remote one
  void write(const std::filesystem::path& runDir) const;
};

class RemoteBackend : public Backend {
 public:
  // `resources`: what the command line asks for, over the spec's `resources` and the profile's.
  explicit RemoteBackend(ClusterProfile profile, JobResources resources = {});
  std::string name() const override { return profile_.name; }
  LaunchedRun submit(const LaunchRequest& request) override;
  // Submits the job again in the same remote run directory, with the resources of the first
  // submission: the engine continues from the latest checkpoint. Refused while the job is queued or
  // running. `reefBinary` is unused: the profile names the engine on the cluster.
  LaunchedRun resume(const std::filesystem::path& runDir, const std::filesystem::path& reefBinary) override;
  void cancel(const std::filesystem::path& runDir, int64_t job) override;
  void requestStop(const std::filesystem::path& runDir, const std::string& reason) override;
  bool alive(const std::filesystem::path&, int64_t) override { return true; }
  RunState follow(const std::filesystem::path& runDir) override;
  void fetch(const std::filesystem::path& runDir, const std::string& relative) override;

  // follow() until the run finishes or `onUpdate` returns false; after a dropped link it reconnects
  // with back-off (1 s, doubling to 30 s) and carries on from the local offsets. A host key that
  // changed meanwhile ends it with the HostKeyError.
  RunState followToEnd(const std::filesystem::path& runDir, std::chrono::milliseconds interval,
                       const std::function<bool(const RunState&)>& onUpdate = {});

  SshSession& session();  // connected on first use

 private:
  LaunchedRun start(const std::filesystem::path& runDir, RemoteRun run, const std::vector<std::string>& overrides);
  RunState jobState(const RemoteRun& run);
  void mirrorEvents(const std::filesystem::path& runDir, RemoteRun& run);
  void mirrorLog(const std::string& remote, const std::filesystem::path& local);

  ClusterProfile profile_;
  JobResources resources_;
  std::unique_ptr<SshSession> session_;
  // The scheduler is asked at most every kSchedulerInterval per run (cluster admins count calls);
  // sooner when the run's own events say it finished.
  std::map<std::string, std::pair<std::chrono::steady_clock::time_point, RunState>> lastJobState_;
};

}  // namespace reef::cluster

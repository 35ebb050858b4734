#pragma once
// What Reef says to Slurm and what it reads back, as text (pure: tested without a cluster): the
// batch script that runs `srun reef train` with the rendezvous taken from the Slurm environment,
// the sbatch command line with every option quoted, and job states from squeue and sacct.
#include "backend/cluster/cluster_profile.h"

#include <string>
#include <vector>

namespace reef::cluster {

// What a job asks for. A default-constructed value sets nothing (0 or -1, empty); apply() lays one
// over another: the profile's defaults, then the spec's `resources` section, then the command line.
struct JobResources {
  int nodes = 0, tasksPerNode = 0, gpusPerNode = -1, cpusPerTask = -1;
  std::string memory, timeLimit;
  static JobResources of(const ClusterProfile& profile);
  // The keys the spec (as written, before defaults are filled in) sets in its `resources` section.
  static JobResources fromSpec(const Json& rawSpec);
  void apply(const JobResources& other);
};

// The script (written next to the run on the cluster): the profile's environment lines, the
// rendezvous port, the network interface and (with GPUs) NCCL's settings, then `srun
// --kill-on-bad-exit=1 <reef> train spec.yaml --run-dir <run> --plain [--set ...]`, which
// continues the run from its latest checkpoint when Slurm requeues the job (or it is resumed).
// Every value Reef inserts is quoted.
std::string sbatchScript(const ClusterProfile& profile, const JobResources& resources, const std::string& remoteRunDir,
                         const std::vector<std::string>& overrides);

// `sbatch --parsable` with the resources, the partition/account/qos, the job name, the output
// file in the run's logs/ and `--requeue`, then the script's path. Throws for more tasks on a
// node than it has GPUs.
std::string sbatchCommand(const ClusterProfile& profile, const JobResources& resources, const std::string& remoteRunDir,
                          const std::string& jobName);

// The job id sbatch --parsable printed ("123" or "123;cluster"); throws with the output otherwise.
std::string parseJobId(const std::string& sbatchOutput);

struct JobState {
  std::string state;     // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ... or UNKNOWN
  std::string exitCode;  // from sacct, e.g. "1:0"
  bool finished = false;
  bool failed = false;  // finished other than COMPLETED
};

// `squeue -h -j ID -o %T` output; UNKNOWN (not finished) when empty: the job left the queue.
JobState parseSqueue(const std::string& output);
// `sacct -P -n -o JobID,State,ExitCode` output (also with -c): the line of the job itself.
JobState parseSacct(const std::string& output, const std::string& jobId);

}  // namespace reef::cluster

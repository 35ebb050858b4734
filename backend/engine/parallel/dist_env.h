#pragma once
// Who this process is in a distributed job: the torchrun variables (RANK, WORLD_SIZE, LOCAL_RANK,
// MASTER_ADDR, MASTER_PORT), or Slurm's (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, the first
// host of SLURM_JOB_NODELIST) when those are absent, so `srun reef train` needs no wrapper.
#include <string>

namespace reef::engine {

struct DistEnv {
  int rank = 0;
  int world = 1;
  int localRank = 0;
  std::string masterAddr = "127.0.0.1";
  int masterPort = 29500;
  bool fromSlurm = false;
  // WORLD_SIZE was set (reef launch, torchrun): a job even with one rank, which then still joins a
  // process group and runs every collective (`reef launch --nproc 1`, NCCL checks on one GPU). A
  // one-task Slurm job stays a plain process.
  bool launched = false;

  bool distributed() const { return world > 1 || launched; }
  // "rank 1 of 4 on node2": who says what in a job's errors and logs.
  std::string who() const;
  // Throws with the variable's name when a value is malformed or inconsistent.
  static DistEnv fromEnvironment();
};

// This machine's host name (what a cluster's node list calls it).
std::string thisHost();

// "gpu[01-04,07],cpu3" -> "gpu01"; "node7" -> "node7".
std::string firstSlurmHost(const std::string& nodelist);

}  // namespace reef::engine

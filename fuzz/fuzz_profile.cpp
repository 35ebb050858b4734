// What the cluster backend reads: clusters.json (profiles a user edits by hand or copies from a
// colleague) and the text Slurm's sbatch, squeue and sacct print on the cluster. The first byte
// chooses. A profile that validates must survive a save and a reload unchanged.
#include "backend/cluster/cluster_profile.h"
#include "backend/cluster/slurm_job.h"
#include "fuzz/fuzz_input.h"

using namespace reef;

namespace {

void loadProfiles(const uint8_t* data, size_t size) {
  const std::filesystem::path file = fuzz::asFile(data, size, ".json");
  std::vector<cluster::ClusterProfile> profiles;
  try {
    profiles = cluster::ClusterProfiles(file).all();
  } catch (const std::exception&) {
    return;
  }
  const std::filesystem::path saved = file.parent_path() / "saved" / "clusters.json";
  std::filesystem::remove_all(saved.parent_path());
  for (const cluster::ClusterProfile& profile : profiles) {
    try {
      profile.validate();
    } catch (const std::exception&) {
      continue;
    }
    cluster::ClusterProfiles(saved).put(profile);
    const cluster::ClusterProfile reloaded = cluster::ClusterProfiles(saved).get(profile.name);
    if (reloaded.toJson() != profile.toJson())
      fuzz::finding("a saved profile came back as " + reloaded.toJson().dump());
    const cluster::JobResources resources = cluster::JobResources::of(profile);
    cluster::sbatchScript(profile, resources, profile.remoteWorkspace + "/runs/r", {"optim.lr=0.1"});
    try {
      cluster::sbatchCommand(profile, resources, profile.remoteWorkspace + "/runs/r", "r");
    } catch (const std::runtime_error&) {  // more tasks per node than GPUs: refused by design
    }
  }
}

void readSlurmOutput(const std::string& output) {
  try {
    cluster::parseJobId(output);
  } catch (const std::runtime_error&) {
  }
  const cluster::JobState queued = cluster::parseSqueue(output);
  const cluster::JobState accounted = cluster::parseSacct(output, "4711");
  for (const cluster::JobState& state : {queued, accounted})
    if (state.failed && !state.finished) fuzz::finding("a job failed but not finished: " + state.state);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if (data[0] & 1)
    readSlurmOutput(fuzz::text(data + 1, size - 1));
  else
    loadProfiles(data + 1, size - 1);
  return 0;
}

#pragma once
// A cluster as the user describes it once (`reef cluster add`, the studio's profile editor): where
// to connect, how to authenticate (a key file or the ssh-agent; never a password), where runs live
// there and how jobs are submitted. Profiles are kept in clusters.json in Reef's config folder.
#include "backend/protocol/json.h"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace reef::cluster {

struct ClusterProfile {
  std::string name;                 // [A-Za-z0-9_.-], the handle on the command line
  std::string scheduler = "slurm";  // "slurm" (sbatch over ssh) or "ssh" (a process on the host)
  std::string host, user;
  int port = 22;
  std::string keyFile;            // empty: the ssh-agent, then libssh's default identities
  std::string knownHosts;         // empty: ~/.ssh/known_hosts
  std::string remoteWorkspace;    // runs go to <remoteWorkspace>/runs/<run id>
  std::string reefPath = "reef";  // the engine on the cluster
  std::string partition, account, qos;
  std::string timeLimit = "01:00:00";
  std::vector<std::string> environment;  // shell lines run before the engine (module load, export ...)
  // Default resources of a job (reef submit may override them).
  int nodes = 1, tasksPerNode = 1, gpusPerNode = 0, cpusPerTask = 0;
  std::string memory;  // e.g. 16G; empty: the partition's default
  // The compute nodes' interface (or comma-separated interfaces) that the ranks' collectives use,
  // as GLOO_SOCKET_IFNAME and NCCL_SOCKET_IFNAME; empty: what the host name resolves to (Gloo),
  // NCCL's own choice.
  std::string networkInterface;

  Json toJson() const;
  // Throws naming `where` and the key for a missing or wrong value.
  static ClusterProfile fromJson(const Json& j, const std::string& where);
  // Throws naming the first wrong field and what is allowed.
  void validate() const;
  std::filesystem::path knownHostsPath() const;
};

// The profiles of this user, in `file` (default: $REEF_CONFIG_DIR, else $XDG_CONFIG_HOME/reef,
// else ~/.config/reef; clusters.json), written atomically.
class ClusterProfiles {
 public:
  static std::filesystem::path defaultFile();
  explicit ClusterProfiles(std::filesystem::path file = defaultFile());
  std::vector<ClusterProfile> all() const { return profiles_; }  // a copy: safe on a temporary
  std::optional<ClusterProfile> find(const std::string& name) const;
  // Throws naming the known profiles when there is none of that name.
  ClusterProfile get(const std::string& name) const;
  void put(const ClusterProfile& profile);  // adds or replaces, then saves
  bool remove(const std::string& name);     // saves; false when there was none
  const std::filesystem::path& file() const { return file_; }

 private:
  void save() const;
  std::filesystem::path file_;
  std::vector<ClusterProfile> profiles_;
};

}  // namespace reef::cluster

#pragma once
// Which backend a run directory belongs to, and who follows a cluster run: one follower at a time
// holds <run>/follow.lock (an flock, released when its process ends, however it ends).
#include "backend/cluster/backend.h"
#include "backend/cluster/cluster_profile.h"

#include <filesystem>
#include <memory>

namespace reef::cluster {

// RemoteBackend for a run with cluster.json (its profile from `profiles`), LocalBackend otherwise.
std::unique_ptr<Backend> backendOf(const std::filesystem::path& runDir,
                                   const ClusterProfiles& profiles = ClusterProfiles());

class FollowLock {
 public:
  // Tries to become the run's follower; held() says whether it did.
  explicit FollowLock(const std::filesystem::path& runDir);
  ~FollowLock();
  FollowLock(const FollowLock&) = delete;
  FollowLock& operator=(const FollowLock&) = delete;
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// Whether some process follows the run now.
bool isFollowed(const std::filesystem::path& runDir);

}  // namespace reef::cluster

#include "backend/cluster/run_backend.h"

#include "backend/cluster/local_backend.h"
#include "backend/cluster/remote_backend.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace reef::cluster {

std::unique_ptr<Backend> backendOf(const fs::path& runDir, const ClusterProfiles& profiles) {
  if (!RemoteRun::isRemote(runDir)) return std::make_unique<LocalBackend>();
  return std::make_unique<RemoteBackend>(profiles.get(RemoteRun::read(runDir).cluster));
}

FollowLock::FollowLock(const fs::path& runDir) {
  fd_ = ::open((runDir / "follow.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ >= 0 && ::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

FollowLock::~FollowLock() {
  if (fd_ >= 0) ::close(fd_);
}

bool isFollowed(const fs::path& runDir) { return !FollowLock(runDir).held(); }

}  // namespace reef::cluster

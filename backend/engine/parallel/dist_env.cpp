#include "backend/engine/parallel/dist_env.h"

#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

namespace reef::engine {

namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

int intFrom(const char* name, const char* value) {
  char* end = nullptr;
  const long v = std::strtol(value, &end, 10);
  if (!end || *end != '\0' || v < 0 || v > 1 << 24)
    throw std::runtime_error(std::string("environment variable ") + name + "=" + value + " is not a valid number");
  return static_cast<int>(v);
}

}  // namespace

std::string thisHost() {
  char name[256] = {};
  ::gethostname(name, sizeof name - 1);
  return name;
}

std::string DistEnv::who() const {
  return "rank " + std::to_string(rank) + " of " + std::to_string(world) + " on " + thisHost();
}

std::string firstSlurmHost(const std::string& nodelist) {
  const auto bracket = nodelist.find('[');
  const auto comma = nodelist.find(',');
  if (bracket == std::string::npos || (comma != std::string::npos && comma < bracket)) return nodelist.substr(0, comma);
  // prefix[a-b,c] -> prefix + a
  const std::string prefix = nodelist.substr(0, bracket);
  const auto end = nodelist.find_first_of(",-]", bracket + 1);
  return prefix + nodelist.substr(bracket + 1, end - bracket - 1);
}

DistEnv DistEnv::fromEnvironment() {
  DistEnv d;
  if (env("WORLD_SIZE")) {
    d.launched = true;
    d.world = intFrom("WORLD_SIZE", env("WORLD_SIZE"));
    d.rank = env("RANK") ? intFrom("RANK", env("RANK")) : 0;
    d.localRank = env("LOCAL_RANK") ? intFrom("LOCAL_RANK", env("LOCAL_RANK")) : d.rank;
  } else if (env("SLURM_NTASKS") && env("SLURM_PROCID")) {
    d.fromSlurm = true;
    d.world = intFrom("SLURM_NTASKS", env("SLURM_NTASKS"));
    d.rank = intFrom("SLURM_PROCID", env("SLURM_PROCID"));
    d.localRank = env("SLURM_LOCALID") ? intFrom("SLURM_LOCALID", env("SLURM_LOCALID")) : 0;
    if (const char* nodes = env("SLURM_JOB_NODELIST")) d.masterAddr = firstSlurmHost(nodes);
  }
  if (const char* addr = env("MASTER_ADDR")) d.masterAddr = addr;
  if (const char* port = env("MASTER_PORT")) d.masterPort = intFrom("MASTER_PORT", port);
  if (d.world < 1 || d.rank >= d.world)
    throw std::runtime_error("rank " + std::to_string(d.rank) + " is outside a world of " + std::to_string(d.world) +
                             " processes: check RANK and WORLD_SIZE (or SLURM_PROCID and SLURM_NTASKS)");
  return d;
}

}  // namespace reef::engine

#include "backend/cluster/cluster_profile.h"

#include "backend/protocol/atomic_file.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace reef::cluster {

Json ClusterProfile::toJson() const {
  return {{"name", name},
          {"scheduler", scheduler},
          {"host", host},
          {"port", port},
          {"user", user},
          {"key_file", keyFile},
          {"known_hosts", knownHosts},
          {"remote_workspace", remoteWorkspace},
          {"reef_path", reefPath},
          {"partition", partition},
          {"account", account},
          {"qos", qos},
          {"time_limit", timeLimit},
          {"environment", environment},
          {"nodes", nodes},
          {"tasks_per_node", tasksPerNode},
          {"gpus_per_node", gpusPerNode},
          {"cpus_per_task", cpusPerTask},
          {"memory", memory},
          {"network_interface", networkInterface}};
}

ClusterProfile ClusterProfile::fromJson(const Json& j, const std::string& where) {
  if (!j.is_object()) throw std::runtime_error(where + ": a cluster profile must be a JSON object");
  ClusterProfile p;
  auto text = [&](const char* key, std::string& out) {
    if (!j.contains(key)) return;
    if (!j[key].is_string()) throw std::runtime_error(where + ": '" + key + "' must be a string");
    out = j[key].get<std::string>();
  };
  auto number = [&](const char* key, int& out) {
    if (!j.contains(key)) return;
    if (!j[key].is_number_integer()) throw std::runtime_error(where + ": '" + key + "' must be an integer");
    out = j[key].get<int>();
  };
  text("name", p.name);
  text("scheduler", p.scheduler);
  text("host", p.host);
  text("user", p.user);
  text("key_file", p.keyFile);
  text("known_hosts", p.knownHosts);
  text("remote_workspace", p.remoteWorkspace);
  text("reef_path", p.reefPath);
  text("partition", p.partition);
  text("account", p.account);
  text("qos", p.qos);
  text("time_limit", p.timeLimit);
  text("memory", p.memory);
  text("network_interface", p.networkInterface);
  number("port", p.port);
  number("nodes", p.nodes);
  number("tasks_per_node", p.tasksPerNode);
  number("gpus_per_node", p.gpusPerNode);
  number("cpus_per_task", p.cpusPerTask);
  if (j.contains("environment")) {
    if (!j["environment"].is_array()) throw std::runtime_error(where + ": 'environment' must be a list of lines");
    for (const auto& line : j["environment"]) {
      if (!line.is_string()) throw std::runtime_error(where + ": 'environment' must be a list of lines");
      p.environment.push_back(line.get<std::string>());
    }
  }
  return p;
}

void ClusterProfile::validate() const {
  auto fail = [&](const std::string& what) { throw std::runtime_error("cluster profile '" + name + "': " + what); };
  if (name.empty() || name.size() > 64 ||
      name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != std::string::npos)
    throw std::runtime_error("cluster name '" + name + "': use 1 to 64 letters, digits, '_', '.' or '-'");
  if (scheduler != "slurm" && scheduler != "ssh") fail("scheduler '" + scheduler + "' is not slurm or ssh");
  if (host.empty()) fail("host is empty: name the login node (e.g. login.cluster.example.org)");
  if (user.empty()) fail("user is empty: the account to log in as");
  if (port < 1 || port > 65535) fail("port " + std::to_string(port) + " is not in 1..65535");
  if (remoteWorkspace.empty() || remoteWorkspace[0] != '/')
    fail("remote workspace '" + remoteWorkspace + "' must be an absolute path on the cluster");
  // Slurm expands % in --output, and a control character has no business in a path or a command.
  auto plain = [](const std::string& text) {
    for (unsigned char c : text)
      if (c < 0x20 || c == 0x7f) return false;
    return true;
  };
  if (!plain(remoteWorkspace) || remoteWorkspace.find('%') != std::string::npos)
    fail("the remote workspace may not hold '%' or control characters");
  if (!plain(reefPath) || !plain(host) || !plain(user) || !plain(keyFile) || !plain(knownHosts))
    fail("host, user, paths and the reef path may not hold control characters");
  // These become sbatch options, which a shell word cannot carry a NUL in.
  if (!plain(partition) || !plain(account) || !plain(qos) || !plain(timeLimit) || !plain(memory))
    fail("partition, account, QOS, time limit and memory may not hold control characters");
  if (reefPath.empty()) fail("reef path is empty: where the engine is on the cluster");
  if (nodes < 1 || tasksPerNode < 1 || gpusPerNode < 0 || cpusPerTask < 0)
    fail("nodes and tasks per node must be at least 1, GPUs and CPUs per task at least 0");
  if (networkInterface.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.:,-") !=
      std::string::npos)
    fail("network interface '" + networkInterface + "': give interface names as `ip addr` shows them (e.g. ib0)");
  for (const auto& line : environment)
    if (line.find('\n') != std::string::npos) fail("an environment line holds a line break: give one line each");
}

fs::path ClusterProfile::knownHostsPath() const {
  if (!knownHosts.empty()) return knownHosts;
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : "/") / ".ssh" / "known_hosts";
}

fs::path ClusterProfiles::defaultFile() {
  if (const char* dir = std::getenv("REEF_CONFIG_DIR"); dir && *dir) return fs::path(dir) / "clusters.json";
  if (const char* xdg = std::getenv("XDG_CONFIG_HOME"); xdg && *xdg) return fs::path(xdg) / "reef" / "clusters.json";
  const char* home = std::getenv("HOME");
  return fs::path(home ? home : "/") / ".config" / "reef" / "clusters.json";
}

ClusterProfiles::ClusterProfiles(fs::path file) : file_(std::move(file)) {
  if (!fs::exists(file_)) return;
  std::ifstream in(file_);
  std::stringstream text;
  text << in.rdbuf();
  const Json j = Json::parse(text.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("clusters") || !j["clusters"].is_array())
    throw std::runtime_error("'" + file_.string() +
                             "' is not a Reef clusters file ({\"clusters\": [...]}): fix or remove it");
  for (size_t i = 0; i < j["clusters"].size(); ++i)
    profiles_.push_back(
        ClusterProfile::fromJson(j["clusters"][i], file_.string() + ": cluster " + std::to_string(i + 1)));
}

std::optional<ClusterProfile> ClusterProfiles::find(const std::string& name) const {
  for (const auto& p : profiles_)
    if (p.name == name) return p;
  return std::nullopt;
}

ClusterProfile ClusterProfiles::get(const std::string& name) const {
  if (auto p = find(name)) return *p;
  std::string known;
  for (const auto& p : profiles_) known += (known.empty() ? "" : ", ") + p.name;
  throw std::runtime_error("no cluster named '" + name + "' (" + (known.empty() ? "none defined" : "known: " + known) +
                           "): add one with `reef cluster add`");
}

void ClusterProfiles::put(const ClusterProfile& profile) {
  profile.validate();
  for (auto& p : profiles_)
    if (p.name == profile.name) {
      p = profile;
      save();
      return;
    }
  profiles_.push_back(profile);
  save();
}

bool ClusterProfiles::remove(const std::string& name) {
  const auto before = profiles_.size();
  profiles_.erase(
      std::remove_if(profiles_.begin(), profiles_.end(), [&](const ClusterProfile& p) { return p.name == name; }),
      profiles_.end());
  if (profiles_.size() == before) return false;
  save();
  return true;
}

void ClusterProfiles::save() const {
  Json all = Json::array();
  for (const auto& p : profiles_) all.push_back(p.toJson());
  fs::create_directories(file_.parent_path());
  protocol::writeFileAtomically(file_, Json{{"clusters", all}}.dump(2) + "\n");
}

}  // namespace reef::cluster

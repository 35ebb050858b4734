#pragma once
// One SSH connection to a cluster through libssh: the host key checked against known_hosts (an
// unknown key refused unless the user accepts its fingerprint, a changed key always refused),
// public-key authentication from a key file or the ssh-agent (never a password), remote commands
// and SFTP for files. Not thread-safe: one user at a time.
#include "backend/cluster/cluster_profile.h"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace reef::cluster {

// A failure of the link or of the remote side; the message names the host and what to do.
class SshError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The host key could not be trusted; `fingerprint` (SHA256:...) is what the user must check.
class HostKeyError : public SshError {
 public:
  HostKeyError(const std::string& message, std::string fingerprint, bool changed)
      : SshError(message), fingerprint(std::move(fingerprint)), changed(changed) {}
  std::string fingerprint;
  bool changed;
};

struct CommandResult {
  int exitCode = -1;
  std::string out, err;
};

class SshSession {
 public:
  // Connects and authenticates. acceptFingerprint: the user has seen the fingerprint (SHA256:...)
  // of a host not yet in known_hosts and accepts that key, which is then added (a different key is
  // still refused); a changed key is refused regardless.
  static std::unique_ptr<SshSession> connect(const ClusterProfile& profile, const std::string& acceptFingerprint = "",
                                             std::chrono::seconds timeout = std::chrono::seconds(10));
  ~SshSession();
  SshSession(const SshSession&) = delete;
  SshSession& operator=(const SshSession&) = delete;

  // Runs `command` through the remote user's shell. Build it with shellCommand/shellQuote.
  CommandResult run(const std::string& command, std::chrono::seconds timeout = std::chrono::seconds(60));

  // SFTP. Paths are remote and absolute.
  std::optional<uint64_t> fileSize(const std::string& path);  // nullopt: no such file
  std::string read(const std::string& path, uint64_t offset, uint64_t maxBytes);
  void write(const std::string& path, const std::string& bytes, int mode = 0644);  // via a temporary and rename
  // Streams a remote file into `local` (through a temporary beside it, renamed when complete).
  void download(const std::string& path, const std::filesystem::path& local);
  void makeDirectories(const std::string& path);

  // Sends a keep-alive; throws SshError when the link is gone.
  void keepAlive();

  const std::string& hostKeyFingerprint() const { return fingerprint_; }
  const std::string& authMethod() const { return authMethod_; }  // "key file", "ssh-agent" or "default keys"
  std::string where() const;                                     // user@host:port

 private:
  SshSession() = default;
  [[noreturn]] void fail(const std::string& what) const;
  [[noreturn]] void failSftp(const std::string& what, const std::string& path) const;
  struct Handles;
  std::unique_ptr<Handles> h_;
  ClusterProfile profile_;
  std::string fingerprint_, authMethod_;
};

}  // namespace reef::cluster

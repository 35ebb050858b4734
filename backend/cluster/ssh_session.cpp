#include "backend/cluster/ssh_session.h"

#include <libssh/libssh.h>
#include <libssh/server.h>
#include <libssh/sftp.h>

#include <fcntl.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <vector>

namespace reef::cluster {

struct SshSession::Handles {
  ssh_session session = nullptr;
  sftp_session sftp = nullptr;
  ~Handles() {
    if (sftp) sftp_free(sftp);
    if (session) {
      if (ssh_is_connected(session)) ssh_disconnect(session);
      ssh_free(session);
    }
  }
};

SshSession::~SshSession() = default;

std::string SshSession::where() const {
  return profile_.user + "@" + profile_.host + ":" + std::to_string(profile_.port);
}

void SshSession::fail(const std::string& what) const {
  throw SshError(what + " on " + where() + ": " + ssh_get_error(h_->session));
}

void SshSession::failSftp(const std::string& what, const std::string& path) const {
  throw SshError(what + " '" + path + "' on " + where() + " (SFTP error " + std::to_string(sftp_get_error(h_->sftp)) +
                 ": " + ssh_get_error(h_->session) + ")");
}

std::unique_ptr<SshSession> SshSession::connect(const ClusterProfile& profile, const std::string& acceptFingerprint,
                                                std::chrono::seconds timeout) {
  std::unique_ptr<SshSession> s(new SshSession);
  s->profile_ = profile;
  s->h_ = std::make_unique<Handles>();
  ssh_session session = s->h_->session = ssh_new();
  if (!session) throw SshError("libssh could not create a session");
  const long seconds = static_cast<long>(timeout.count());
  const std::string knownHosts = profile.knownHostsPath().string();
  const int noConfig = 0;
  ssh_options_set(session, SSH_OPTIONS_HOST, profile.host.c_str());
  ssh_options_set(session, SSH_OPTIONS_PORT, &profile.port);
  ssh_options_set(session, SSH_OPTIONS_USER, profile.user.c_str());
  ssh_options_set(session, SSH_OPTIONS_TIMEOUT, &seconds);
  ssh_options_set(session, SSH_OPTIONS_KNOWNHOSTS, knownHosts.c_str());
  // Only the profile decides: ~/.ssh/config must not redirect the host or the user silently.
  ssh_options_set(session, SSH_OPTIONS_PROCESS_CONFIG, &noConfig);
  if (ssh_connect(session) != SSH_OK)
    throw SshError("cannot reach " + s->where() + ": " + ssh_get_error(session) +
                   " (check the host, the port and that sshd runs there)");

  // The host key, before anything is sent.
  ssh_key key = nullptr;
  if (ssh_get_server_publickey(session, &key) != SSH_OK) s->fail("cannot read the host key");
  unsigned char* hash = nullptr;
  size_t hashLength = 0;
  const int hashed = ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hashLength);
  ssh_key_free(key);
  if (hashed != 0) s->fail("cannot hash the host key");
  char* fingerprint = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hashLength);
  ssh_clean_pubkey_hash(&hash);
  s->fingerprint_ = fingerprint ? fingerprint : "";
  ssh_string_free_char(fingerprint);
  switch (ssh_session_is_known_server(session)) {
    case SSH_KNOWN_HOSTS_OK:
      break;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER:
      throw HostKeyError("the host key of " + s->where() + " has CHANGED (it now shows " + s->fingerprint_ + ", " +
                             knownHosts + " holds another): refusing to connect. If the server was reinstalled, " +
                             "confirm the new fingerprint with its administrator and remove the old line from " +
                             knownHosts,
                         s->fingerprint_, true);
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND:
      // Trusted only when the user accepted this very key (the fingerprint they were shown).
      if (acceptFingerprint != s->fingerprint_)
        throw HostKeyError("the host key of " + s->where() + " is not known (" + s->fingerprint_ + " is not in " +
                               knownHosts + "): check the fingerprint, then accept it (`reef cluster test " +
                               profile.name + " --accept-host-key " + s->fingerprint_ + "`, or in the studio)",
                           s->fingerprint_, false);
      std::filesystem::create_directories(std::filesystem::path(knownHosts).parent_path());
      if (ssh_session_update_known_hosts(session) != SSH_OK) s->fail("cannot add the host key to " + knownHosts);
      break;
    case SSH_KNOWN_HOSTS_ERROR:
      s->fail("cannot check the host key against " + knownHosts);
  }

  // Public keys only: the profile's key file, else the agent, else libssh's default identities.
  if (!profile.keyFile.empty()) {
    ssh_key privateKey = nullptr;
    if (ssh_pki_import_privkey_file(profile.keyFile.c_str(), nullptr, nullptr, nullptr, &privateKey) != SSH_OK)
      throw SshError(
          "cannot read the key file '" + profile.keyFile +
          "' (missing, unreadable or protected by a passphrase: load it into ssh-agent and clear the key file)");
    const int rc = ssh_userauth_publickey(session, nullptr, privateKey);
    ssh_key_free(privateKey);
    if (rc != SSH_AUTH_SUCCESS)
      throw SshError(s->where() + " refused the key '" + profile.keyFile +
                     "': is its public half in ~/.ssh/authorized_keys there?");
    s->authMethod_ = "key file";
  } else if (std::getenv("SSH_AUTH_SOCK") && ssh_userauth_agent(session, nullptr) == SSH_AUTH_SUCCESS) {
    s->authMethod_ = "ssh-agent";
  } else if (ssh_userauth_publickey_auto(session, nullptr, nullptr) == SSH_AUTH_SUCCESS) {
    s->authMethod_ = "default keys";
  } else {
    throw SshError(s->where() +
                   " accepted none of the keys offered (ssh-agent, ~/.ssh/id_*): set the profile's key file");
  }

  s->h_->sftp = sftp_new(session);
  if (!s->h_->sftp || sftp_init(s->h_->sftp) != SSH_OK) s->fail("cannot start SFTP (is the sftp subsystem enabled?)");
  return s;
}

CommandResult SshSession::run(const std::string& command, std::chrono::seconds timeout) {
  ssh_channel channel = ssh_channel_new(h_->session);
  if (!channel) fail("cannot open a channel");
  struct Close {
    ssh_channel c;
    ~Close() {
      ssh_channel_close(c);
      ssh_channel_free(c);
    }
  } closer{channel};
  if (ssh_channel_open_session(channel) != SSH_OK) fail("cannot open a session channel");
  if (ssh_channel_request_exec(channel, command.c_str()) != SSH_OK) fail("cannot run a command");
  CommandResult r;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<char> buffer(16384);
  while (!ssh_channel_is_eof(channel)) {
    if (std::chrono::steady_clock::now() > deadline)
      throw SshError("a command on " + where() + " did not finish within " + std::to_string(timeout.count()) + " s");
    for (int stream : {0, 1}) {
      const int n = ssh_channel_read_timeout(channel, buffer.data(), static_cast<uint32_t>(buffer.size()), stream,
                                             stream ? 0 : 200);
      if (n == SSH_ERROR) fail("the link dropped while a command ran");
      if (n > 0) (stream ? r.err : r.out).append(buffer.data(), static_cast<size_t>(n));
    }
  }
  for (int stream : {0, 1})
    for (int n;
         (n = ssh_channel_read_nonblocking(channel, buffer.data(), static_cast<uint32_t>(buffer.size()), stream)) > 0;)
      (stream ? r.err : r.out).append(buffer.data(), static_cast<size_t>(n));
  ssh_channel_send_eof(channel);
  r.exitCode = ssh_channel_get_exit_status(channel);
  return r;
}

std::optional<uint64_t> SshSession::fileSize(const std::string& path) {
  sftp_attributes a = sftp_stat(h_->sftp, path.c_str());
  if (!a) {
    // libssh keeps the last SFTP status when the link itself fails: "no such file" counts only on a
    // live connection.
    if (ssh_is_connected(h_->session) && sftp_get_error(h_->sftp) == SSH_FX_NO_SUCH_FILE) return std::nullopt;
    failSftp("cannot stat", path);
  }
  const uint64_t size = a->size;
  sftp_attributes_free(a);
  return size;
}

std::string SshSession::read(const std::string& path, uint64_t offset, uint64_t maxBytes) {
  sftp_file file = sftp_open(h_->sftp, path.c_str(), O_RDONLY, 0);
  if (!file) failSftp("cannot open", path);
  std::string out;
  if (sftp_seek64(file, offset) != 0) {
    sftp_close(file);
    failSftp("cannot seek in", path);
  }
  std::vector<char> buffer(65536);
  while (out.size() < maxBytes) {
    const ssize_t n = sftp_read(file, buffer.data(), std::min<uint64_t>(buffer.size(), maxBytes - out.size()));
    if (n < 0) {
      sftp_close(file);
      failSftp("cannot read", path);
    }
    if (n == 0) break;
    out.append(buffer.data(), static_cast<size_t>(n));
  }
  sftp_close(file);
  return out;
}

void SshSession::write(const std::string& path, const std::string& bytes, int mode) {
  const std::string temp = path + ".reef-tmp";
  sftp_file file = sftp_open(h_->sftp, temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, static_cast<mode_t>(mode));
  if (!file) failSftp("cannot create", temp);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = sftp_write(file, bytes.data() + done, std::min<size_t>(65536, bytes.size() - done));
    if (n < 0) {
      sftp_close(file);
      failSftp("cannot write", temp);
    }
    done += static_cast<size_t>(n);
  }
  if (sftp_close(file) != SSH_OK) failSftp("cannot finish writing", temp);
  sftp_unlink(h_->sftp, path.c_str());  // SFTP v3 rename does not replace
  if (sftp_rename(h_->sftp, temp.c_str(), path.c_str()) != SSH_OK) failSftp("cannot rename into", path);
}

void SshSession::download(const std::string& path, const std::filesystem::path& local) {
  sftp_file file = sftp_open(h_->sftp, path.c_str(), O_RDONLY, 0);
  if (!file) failSftp("cannot open", path);
  const std::filesystem::path temp = local.string() + ".part";
  FILE* out = std::fopen(temp.c_str(), "wb");
  if (!out) {
    sftp_close(file);
    throw SshError("cannot write '" + temp.string() + "'");
  }
  std::vector<char> buffer(1 << 20);
  while (true) {
    const ssize_t n = sftp_read(file, buffer.data(), buffer.size());
    if (n < 0 || (n > 0 && std::fwrite(buffer.data(), 1, static_cast<size_t>(n), out) != static_cast<size_t>(n))) {
      std::fclose(out);
      sftp_close(file);
      std::filesystem::remove(temp);
      if (n < 0) failSftp("cannot read", path);
      throw SshError("cannot write '" + temp.string() + "' (disk full?)");
    }
    if (n == 0) break;
  }
  const bool closed = std::fclose(out) == 0;
  sftp_close(file);
  if (!closed) throw SshError("cannot finish writing '" + temp.string() + "'");
  std::filesystem::rename(temp, local);
}

void SshSession::makeDirectories(const std::string& path) {
  std::string partial;
  size_t start = 0;
  while (start < path.size()) {
    const size_t slash = path.find('/', start + 1);
    partial = path.substr(0, slash);
    start = slash == std::string::npos ? path.size() : slash;
    if (partial.empty() || partial == "/") continue;
    if (sftp_mkdir(h_->sftp, partial.c_str(), 0755) != SSH_OK &&
        sftp_get_error(h_->sftp) != SSH_FX_FILE_ALREADY_EXISTS) {
      // Some servers report an existing directory as a generic failure.
      sftp_attributes a = sftp_stat(h_->sftp, partial.c_str());
      const bool isDirectory = a && a->type == SSH_FILEXFER_TYPE_DIRECTORY;
      if (a) sftp_attributes_free(a);
      if (!isDirectory) failSftp("cannot create the folder", partial);
    }
  }
}

void SshSession::keepAlive() {
  if (!ssh_is_connected(h_->session) || ssh_send_keepalive(h_->session) != SSH_OK) fail("the link is gone");
  // A dead peer shows on the next exchange: a stat of the root is one round trip.
  sftp_attributes a = sftp_stat(h_->sftp, "/");
  if (!a) fail("the link is gone");
  sftp_attributes_free(a);
}

}  // namespace reef::cluster

#include "backend/engine/parallel/peer_names.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <regex>

namespace reef::engine {

namespace {

// The host name an address resolves back to, or "" where it has none.
std::string hostOf(const std::string& address) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  if (::inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1) return "";
  char host[NI_MAXHOST] = {};
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&sa), sizeof sa, host, sizeof host, nullptr, 0, NI_NAMEREQD) != 0)
    return "";
  return host;
}

}  // namespace

std::string PeerNames::explain(const std::string& message) const {
  static const std::regex kAddress(R"(\[(\d{1,3}(?:\.\d{1,3}){3})\])");
  std::vector<std::string> notes;
  for (auto it = std::sregex_iterator(message.begin(), message.end(), kAddress); it != std::sregex_iterator(); ++it) {
    const std::string address = (*it)[1];
    const std::string host = hostOf(address);
    if (host.empty()) continue;
    std::string ranks;
    for (size_t r = 0; r < hostOfRank_.size(); ++r)
      if (hostOfRank_[r] == host || hostOfRank_[r].rfind(host + ".", 0) == 0 ||
          host.rfind(hostOfRank_[r] + ".", 0) == 0)
        ranks += (ranks.empty() ? "" : ", ") + std::to_string(r);
    const bool several = ranks.find(',') != std::string::npos;
    const std::string note =
        address + " is " + (ranks.empty() ? "" : (several ? "ranks " : "rank ") + ranks + " on ") + host;
    if (std::find(notes.begin(), notes.end(), note) == notes.end()) notes.push_back(note);
  }
  if (notes.empty()) return message;
  std::string out = message + " (";
  for (size_t i = 0; i < notes.size(); ++i) out += (i ? "; " : "") + notes[i];
  return out + ")";
}

std::string PeerNames::describe(const std::vector<int>& ranks) const {
  std::vector<std::pair<std::string, std::vector<int>>> byHost;  // in the order of the ranks
  for (int r : ranks) {
    const std::string host = r >= 0 && r < static_cast<int>(hostOfRank_.size()) ? hostOfRank_[r] : "an unknown host";
    auto it = std::find_if(byHost.begin(), byHost.end(), [&](const auto& h) { return h.first == host; });
    if (it == byHost.end()) it = byHost.insert(byHost.end(), {host, {}});
    it->second.push_back(r);
  }
  std::string out;
  for (const auto& [host, list] : byHost) {
    out += out.empty() ? (list.size() > 1 ? "ranks " : "rank ") : (list.size() > 1 ? "; ranks " : "; rank ");
    for (size_t i = 0; i < list.size(); ++i) out += (i ? ", " : "") + std::to_string(list[i]);
    out += " on " + host;
  }
  return out;
}

}  // namespace reef::engine

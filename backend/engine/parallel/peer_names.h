#pragma once
// Who is at the other end of a failed collective. Gloo's errors name a peer by its address
// ("Connection closed by peer [10.0.0.3]:41877"); on a cluster the user thinks in nodes and ranks.
// Every rank publishes its host name when the job forms; a failure's message then gets each
// address it holds explained: "(10.0.0.3 is rank 1 on node2)".
#include <string>
#include <vector>

namespace reef::engine {

class PeerNames {
 public:
  explicit PeerNames(std::vector<std::string> hostOfRank) : hostOfRank_(std::move(hostOfRank)) {}

  // `message` with every bracketed IPv4 address in it named by host (its /etc/hosts or DNS name)
  // and the ranks on that host; unchanged when it holds none.
  std::string explain(const std::string& message) const;

  // "rank 1 on node2", "ranks 2, 3 on node2; rank 5 on node3": ranks named with their hosts.
  std::string describe(const std::vector<int>& ranks) const;

 private:
  std::vector<std::string> hostOfRank_;
};

}  // namespace reef::engine

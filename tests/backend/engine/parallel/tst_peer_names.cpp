// A failed collective's message names the nodes and ranks behind the addresses Gloo gives: what a
// user on a cluster needs to find the node that went away.
#include "backend/engine/parallel/peer_names.h"

#include <QtTest>

using namespace reef::engine;

class TestPeerNames : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void addressesBecomeRanksAndHosts() {
    // 127.0.0.1 resolves to localhost through /etc/hosts on every machine.
    const PeerNames peers({"node1", "localhost", "localhost"});
    const std::string explained =
        peers.explain("[gloo/transport/tcp/pair.cc:598] Connection closed by peer [127.0.0.1]:41877");
    QCOMPARE(explained, std::string("[gloo/transport/tcp/pair.cc:598] Connection closed by peer [127.0.0.1]:41877 "
                                    "(127.0.0.1 is ranks 1, 2 on localhost)"));
    QCOMPARE(PeerNames({"localhost", "node2"}).explain("Read error [127.0.0.1]:1: reset"),
             std::string("Read error [127.0.0.1]:1: reset (127.0.0.1 is rank 0 on localhost)"));
  }

  void messagesWithoutAddressesStayAsTheyAre() {
    const PeerNames peers({"node1", "node2"});
    const std::string timeout = "Timed out waiting 30000ms for recv operation to complete";
    QCOMPARE(peers.explain(timeout), timeout);
    QCOMPARE(peers.explain("index [3] out of range"), std::string("index [3] out of range"));
  }

  // Silent ranks (from the heartbeats) are named with their hosts, grouped by host.
  void ranksAreDescribedByHost() {
    const PeerNames peers({"node1", "node1", "node2", "node2", "node3"});
    QCOMPARE(peers.describe({1}), std::string("rank 1 on node1"));
    QCOMPARE(peers.describe({2, 3, 4}), std::string("ranks 2, 3 on node2; rank 4 on node3"));
    QCOMPARE(peers.describe({7}), std::string("rank 7 on an unknown host"));
  }
};

QTEST_GUILESS_MAIN(TestPeerNames)
#include "tst_peer_names.moc"

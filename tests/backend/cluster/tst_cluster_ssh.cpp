// The SSH layer against a real sshd started here on 127.0.0.1: an unknown host key is refused
// with its fingerprint and accepted only by that fingerprint, a changed key is refused even then; names
// with spaces, quotes, `;` and `$(...)` travel through SFTP and remote commands as plain names
// (nothing they spell is run); SFTP reads from an offset; a key held by a real ssh-agent
// authenticates without a key file; a dropped link is reported by name.
#include "backend/cluster/shell_quote.h"
#include "backend/cluster/ssh_session.h"
#include "tests/backend/cluster/cluster_fixture.h"

#include <QRegularExpression>
#include <QtTest>

using namespace reef;
using namespace reef::cluster;
using namespace reef::test;

class TestClusterSsh : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::unique_ptr<SshServer> ssh_;

  ClusterProfile profile() const {
    ClusterProfile p;
    p.name = "local";
    p.scheduler = "ssh";
    p.host = "127.0.0.1";
    p.port = ssh_->port();
    p.user = "root";
    p.keyFile = ssh_->userKey().toStdString();
    p.knownHosts = dir_.filePath("known_hosts").toStdString();
    p.remoteWorkspace = dir_.filePath("remote").toStdString();
    return p;
  }

 private Q_SLOTS:
  void initTestCase() {
    ssh_ = std::make_unique<SshServer>(dir_.filePath("ssh"));
    ssh_->start();
  }

  void hostKeysAreChecked() {
    std::string shown;
    for (const std::string& accept : {std::string(), std::string("SHA256:someone-else")}) {
      try {
        SshSession::connect(profile(), accept);
        QFAIL("an unknown host key was accepted");
      } catch (const HostKeyError& e) {
        QVERIFY(!e.changed);
        QVERIFY2(e.fingerprint.rfind("SHA256:", 0) == 0, e.what());
        QVERIFY2(QString(e.what()).contains("--accept-host-key " + QString::fromStdString(e.fingerprint)), e.what());
        shown = e.fingerprint;
      }
    }
    // Accepted explicitly, by the fingerprint shown: written to known_hosts, and later connections
    // need no acceptance.
    const auto first = SshSession::connect(profile(), shown);
    QCOMPARE(first->authMethod(), std::string("key file"));
    const std::string fingerprint = first->hostKeyFingerprint();
    QVERIFY(SshSession::connect(profile())->hostKeyFingerprint() == fingerprint);
    // The same server with another key: refused, accepted or not.
    ssh_->stop();
    ssh_->newHostKey();
    ssh_->start();
    for (bool accept : {false, true}) {
      try {
        // Accepting cannot help, not even with the new key's own fingerprint.
        std::string newFingerprint;
        try {
          SshSession::connect(profile());
        } catch (const HostKeyError& e) {
          newFingerprint = e.fingerprint;
        }
        SshSession::connect(profile(), accept ? newFingerprint : std::string());
        QFAIL("a changed host key was accepted");
      } catch (const HostKeyError& e) {
        QVERIFY(e.changed);
        QVERIFY2(QString(e.what()).contains("CHANGED") && e.fingerprint != fingerprint, e.what());
      }
    }
    // Trusting the new key again is the user's act: a known_hosts that holds it.
    QFile known(dir_.filePath("known_hosts"));
    QVERIFY(known.open(QIODevice::WriteOnly | QIODevice::Truncate));
    known.write(ssh_->knownHostsLine().toUtf8());
    known.close();
    QVERIFY(SshSession::connect(profile())->hostKeyFingerprint() != fingerprint);
  }

  void hostileNamesStayNames() {
    const auto ssh = SshSession::connect(profile());
    const std::string base = dir_.filePath("remote").toStdString();
    const std::string canary = dir_.filePath("pwned").toStdString();
    for (const std::string& name : std::vector<std::string>{"with space", "quote's \"both\"", "semi;colon",
                                                            "$(touch " + canary + ")", "`touch " + canary + "`"}) {
      const std::string folder = base + "/" + name;
      ssh->makeDirectories(folder + "/logs");
      ssh->write(folder + "/spec.yaml", "name: " + name + "\n");
      const CommandResult cat = ssh->run(shellCommand({"cat", folder + "/spec.yaml"}));
      QCOMPARE(cat.exitCode, 0);
      QCOMPARE(cat.out, "name: " + name + "\n");
      const CommandResult echo = ssh->run("printf %s " + shellQuote(name));
      QCOMPARE(echo.out, name);
      QVERIFY2(QDir(QString::fromStdString(folder + "/logs")).exists(), folder.c_str());
    }
    QVERIFY2(!QFile::exists(QString::fromStdString(canary)), "a quoted name was run as a command");
  }

  void sftpReadsFromAnOffsetAndCommandsReportExitCodes() {
    const auto ssh = SshSession::connect(profile());
    const std::string file = dir_.filePath("remote/events.jsonl").toStdString();
    ssh->write(file, "first\nsecond\nthird\n");
    QCOMPARE(ssh->fileSize(file).value(), uint64_t(19));
    QCOMPARE(ssh->read(file, 6, 100), std::string("second\nthird\n"));
    QCOMPARE(ssh->read(file, 6, 7), std::string("second\n"));
    QVERIFY(!ssh->fileSize(file + ".missing").has_value());
    const CommandResult fail = ssh->run("echo oops >&2; exit 3");
    QCOMPARE(fail.exitCode, 3);
    QCOMPARE(fail.err, std::string("oops\n"));
  }

  void anAgentsKeyWorksWithoutAKeyFile() {
    // A real ssh-agent holding the key; the profile names no key file.
    const QString socket = dir_.filePath("agent.sock");
    const QString started = runChecked("ssh-agent", {"-a", socket});
    const QString pid = QRegularExpression("SSH_AGENT_PID=(\\d+)").match(started).captured(1);
    QVERIFY2(!pid.isEmpty(), qPrintable(started));
    qputenv("SSH_AUTH_SOCK", socket.toUtf8());
    struct StopAgent {
      QString pid;
      ~StopAgent() {
        quietly("kill", {pid});
        qunsetenv("SSH_AUTH_SOCK");
      }
    } stop{pid};
    QProcess add;
    add.start("ssh-add", {"-q", ssh_->userKey()});
    QVERIFY(add.waitForFinished(10000) && add.exitCode() == 0);
    ClusterProfile p = profile();
    p.keyFile.clear();
    const auto ssh = SshSession::connect(p);
    QCOMPARE(ssh->authMethod(), std::string("ssh-agent"));
    QCOMPARE(ssh->run("true").exitCode, 0);
  }

  void aDroppedLinkIsNamed() {
    const auto ssh = SshSession::connect(profile());
    ssh->keepAlive();
    ssh_->stop();
    try {
      ssh->keepAlive();
      ssh->run("true");
      QFAIL("a dead link went unnoticed");
    } catch (const SshError& e) {
      QVERIFY2(QString(e.what()).contains("root@127.0.0.1:" + QString::number(ssh_->port())), e.what());
    }
    ssh_->start();
    QVERIFY(SshSession::connect(profile())->run("true").exitCode == 0);
  }
};

QTEST_GUILESS_MAIN(TestClusterSsh)
#include "tst_cluster_ssh.moc"

#pragma once
// Real cluster components for the cluster tests, started on 127.0.0.1 by the tests themselves and
// stopped with them: an OpenSSH server (its own host key, authorized key and config; root login
// by key only; SFTP) and a single-node Slurm (munge, slurmctld, slurmd on a private slurm.conf,
// accounting off, job completions in a text file). Facts behind the settings: ../shared/FACTS.md.
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>

#include <sys/prctl.h>

#include <csignal>
#include <stdexcept>
#include <string>

namespace reef::test {

inline QString runChecked(const QString& program, const QStringList& args) {
  QProcess p;
  p.setProcessChannelMode(QProcess::MergedChannels);
  p.start(program, args);
  if (!p.waitForFinished(60000) || p.exitCode() != 0)
    throw std::runtime_error(
        (program + " " + args.join(' ') + " failed: " + QString::fromUtf8(p.readAll())).toStdString());
  return QString::fromUtf8(p.readAll());
}

// The exit status of `program`, its output discarded.
inline int quietly(const QString& program, const QStringList& args) {
  QProcess p;
  p.start(program, args);
  p.waitForFinished(60000);
  return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

// Daemons started by a test die with it, even when the test itself is killed or aborts.
inline void diesWithParent(QProcess& p) {
  p.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
}

inline int freePort() {
  QTcpServer probe;
  probe.listen(QHostAddress::LocalHost, 0);
  return probe.serverPort();
}

inline bool waitForPort(int port, int timeoutMs) {
  for (int waited = 0; waited < timeoutMs; waited += 50) {
    QTcpSocket s;
    s.connectToHost(QHostAddress::LocalHost, static_cast<quint16>(port));
    if (s.waitForConnected(200)) return true;
    QThread::msleep(50);
  }
  return false;
}

// sshd on 127.0.0.1:<free port>. `environment` lines become SetEnv for every session (how the
// remote shells find the private slurm.conf).
class SshServer {
 public:
  explicit SshServer(const QString& dir, QStringList environment = {}) : dir_(dir), env_(std::move(environment)) {
    QDir().mkpath(dir_);
    newHostKey();
    runChecked("ssh-keygen", {"-q", "-t", "ed25519", "-N", "", "-f", userKey(), "-C", "reef-test"});
    QFile::copy(userKey() + ".pub", dir_ + "/authorized_keys");
    port_ = freePort();
  }
  ~SshServer() { stop(); }

  // A fresh host key: what a reinstalled (or impersonated) server shows.
  void newHostKey() {
    QFile::remove(dir_ + "/host_key");
    QFile::remove(dir_ + "/host_key.pub");
    runChecked("ssh-keygen", {"-q", "-t", "ed25519", "-N", "", "-f", dir_ + "/host_key"});
  }

  void start() {
    QDir().mkpath("/run/sshd");
    QFile config(dir_ + "/sshd_config");
    config.open(QIODevice::WriteOnly | QIODevice::Truncate);
    QString text = QString(
                       "Port %1\nListenAddress 127.0.0.1\nHostKey %2/host_key\nAuthorizedKeysFile %2/authorized_keys\n"
                       "PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                       "UsePAM no\nStrictModes no\nPidFile %2/sshd.pid\nSubsystem sftp /usr/lib/openssh/sftp-server\n"
                       "ClientAliveInterval 2\nClientAliveCountMax 3\n")
                       .arg(port_)
                       .arg(dir_);
    if (!env_.isEmpty()) text += "SetEnv " + env_.join(' ') + "\n";
    config.write(text.toUtf8());
    config.close();
    sshd_.setProcessChannelMode(QProcess::MergedChannels);
    sshd_.setStandardOutputFile(dir_ + "/sshd.log", QIODevice::Append);
    diesWithParent(sshd_);
    sshd_.start("/usr/sbin/sshd", {"-D", "-e", "-f", dir_ + "/sshd_config"});
    if (!sshd_.waitForStarted() || !waitForPort(port_, 10000))
      throw std::runtime_error(("sshd did not start; see " + dir_ + "/sshd.log").toStdString());
  }

  // Ends the server and every session it holds (its children), as a dropped link does.
  void stop() {
    if (sshd_.state() == QProcess::NotRunning) return;
    // The per-connection processes first (children of this server only), then the server.
    quietly("pkill", {"-KILL", "-P", QString::number(sshd_.processId())});
    sshd_.kill();
    sshd_.waitForFinished();
  }

  int port() const { return port_; }
  QString userKey() const { return dir_ + "/user_key"; }
  // A known_hosts line for the current host key, as `ssh-keyscan` would give it.
  QString knownHostsLine() const {
    QFile pub(dir_ + "/host_key.pub");
    pub.open(QIODevice::ReadOnly);
    const QStringList parts = QString::fromUtf8(pub.readAll()).trimmed().split(' ');
    return QString("[127.0.0.1]:%1 %2 %3\n").arg(port_).arg(parts.value(0), parts.value(1));
  }

 private:
  QString dir_;
  QStringList env_;
  int port_ = 0;
  QProcess sshd_;
};

// Single-node Slurm 22.05 with its state under `dir`; SLURM_CONF for clients is conf().
class SlurmCluster {
 public:
  explicit SlurmCluster(const QString& dir) : dir_(dir) {
    for (const char* sub : {"state", "spool"}) QDir().mkpath(dir_ + "/" + sub);
    QFile conf(this->conf());
    conf.open(QIODevice::WriteOnly | QIODevice::Truncate);
    const int cpus = QThread::idealThreadCount();
    conf.write(
        QString(
            "ClusterName=reeftest\nSlurmctldHost=localhost\nSlurmUser=root\nAuthType=auth/munge\n"
            "SlurmctldPort=%1\nSlurmdPort=%2\nStateSaveLocation=%3/state\nSlurmdSpoolDir=%3/spool\n"
            "SlurmctldPidFile=%3/slurmctld.pid\nSlurmdPidFile=%3/slurmd.pid\n"
            "SlurmctldLogFile=%3/slurmctld.log\nSlurmdLogFile=%3/slurmd.log\n"
            "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\nMpiDefault=none\n"
            "SchedulerParameters=batch_sched_delay=0,sched_min_interval=0\n"
            "SelectType=select/cons_tres\nSelectTypeParameters=CR_CPU\nReturnToService=2\nKillWait=20\n"
            "AccountingStorageType=accounting_storage/none\nJobCompType=jobcomp/filetxt\nJobCompLoc=%3/jobcomp.txt\n"
            "NodeName=localhost CPUs=%4 State=UNKNOWN\n"
            "PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP\n")
            .arg(freePort())
            .arg(freePort())
            .arg(dir_)
            .arg(cpus)
            .toUtf8());
  }
  ~SlurmCluster() { stop(); }

  QString conf() const { return dir_ + "/slurm.conf"; }

  void start() {
    // munged: one per machine, as the munge user; reused when a working one runs (asked through
    // munge itself: a stopped munged can linger as a zombie that pgrep still finds), stopped with
    // the cluster when this test started it.
    if (quietly("sh", {"-c", "munge -n | unmunge"}) != 0) {
      QDir().mkpath("/run/munge");
      runChecked("chown", {"munge:munge", "/run/munge"});
      runChecked("runuser", {"-u", "munge", "--", "/usr/sbin/munged", "--force"});
      startedMunge_ = true;
    }
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("SLURM_CONF", conf());
    for (QProcess* p : {&ctld_, &slurmd_}) {
      p->setProcessEnvironment(env);
      p->setProcessChannelMode(QProcess::MergedChannels);
      p->setStandardOutputFile(dir_ + "/daemons.log", QIODevice::Append);
      diesWithParent(*p);
    }
    ctld_.start("slurmctld", {"-D", "-i"});
    slurmd_.start("slurmd", {"-D", "-N", "localhost"});
    // Ready when the node is idle (sinfo bounded: it hangs when the daemons are not up yet).
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 30000) {
      QProcess sinfo;
      sinfo.setProcessEnvironment(env);
      sinfo.start("sinfo", {"-h", "-o", "%t"});
      if (!sinfo.waitForFinished(3000)) {
        sinfo.kill();
        sinfo.waitForFinished();
        continue;
      }
      if (QString::fromUtf8(sinfo.readAll()).trimmed() == "idle") return;
      QThread::msleep(200);
    }
    throw std::runtime_error(("Slurm did not become ready; see " + dir_ + "/slurmctld.log").toStdString());
  }

  void stop() {
    for (QProcess* p : {&slurmd_, &ctld_}) {
      if (p->state() == QProcess::NotRunning) continue;
      p->terminate();
      if (!p->waitForFinished(10000)) {
        p->kill();
        p->waitForFinished();
      }
    }
    if (startedMunge_) quietly("pkill", {"-x", "munged"});
    startedMunge_ = false;
  }

 private:
  QString dir_;
  QProcess ctld_, slurmd_;
  bool startedMunge_ = false;
};

}  // namespace reef::test

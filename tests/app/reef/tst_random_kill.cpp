// Crash consistency at random moments. Each part kills real processes with SIGKILL at moments
// drawn from a seeded generator (the seed is printed; REEF_KILL_SEED=<n> replays a run), does what
// a user does next, and checks that nothing was lost or doubled:
// - training, killed 30 times at random times and inside checkpoint writes (the staging folder
//   watched with inotify), resumed after each kill: the final weights and optimizer state are
//   bit-identical to an uninterrupted run's, and the event stream, read by its contract (a resumed
//   session's steps replace those after its checkpoint), has every step's metrics once, with the
//   uninterrupted run's values;
// - `reef launch` with 2 ranks, a rank or the launcher killed: no process is left behind, and the
//   resumed job ends bit-identical to an uninterrupted one;
// - the run index: `reef db sync` killed while it ingests, the database then equal to a rebuild;
// - `reef serve` killed while it loads a bundle: it serves when started again, and the assets the
//   killed ones unpacked do not pile up.
#include "tests/support/index_snapshot.h"
#include "tests/support/logged_steps.h"
#include "tests/support/reef_cli.h"

#include "storage/workspace_index.h"

#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QtTest>

#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <random>
#include <thread>

using namespace reef;
using namespace reef::test;
namespace fs = std::filesystem;

namespace {

constexpr int kSteps = 300;
constexpr int kDdpSteps = 120;

QStringList trainSettings(int steps) {
  QStringList sets;
  for (const QString& s : {QString("trainer.max_steps=%1").arg(steps), QString("trainer.val_interval=60"),
                           QString("exp.checkpoint_interval=10"), QString("trainer.limit_val_batches=2"),
                           QString("trainer.test_at_end=false"), QString("trainer.log_interval=1"),
                           QString("exp.keep_top_k=1"), QString("data.workers=1")})
    sets << "--set" << s;
  return sets;
}

QStringList trainArgs(const fs::path& run, int steps = kSteps) {
  return QStringList{"train", example("vision/mnist_cnn.yaml"), "--run-dir", QString::fromStdString(run.string()),
                     "--plain"} +
         trainSettings(steps);
}

QStringList launchArgs(const fs::path& run) {
  return QStringList{"launch",    "--nproc",
                     "2",         example("vision/mnist_cnn.yaml"),
                     "--run-dir", QString::fromStdString(run.string()),
                     "--plain"} +
         trainSettings(kDdpSteps);
}

bool stagingExists(const fs::path& checkpoints) {
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(checkpoints, ec))
    if (e.path().filename().string().rfind(".incomplete-", 0) == 0) return true;
  return false;
}

// Returns once the engine has begun writing its `nth` checkpoint since this call (its staging
// folder appeared), or false when the process ended first.
bool waitForCheckpointWrite(const fs::path& checkpoints, QProcess& p, int nth) {
  const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0 || ::inotify_add_watch(fd, checkpoints.c_str(), IN_CREATE) < 0) return false;
  int seen = 0;
  alignas(inotify_event) char buffer[4096];
  while (seen < nth && p.state() != QProcess::NotRunning) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 20) <= 0) {
      p.waitForFinished(0);  // lets QProcess notice an exit
      continue;
    }
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    for (ssize_t at = 0; at < n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buffer + at);
      if (e->len > 0 && std::string(e->name).rfind(".incomplete-", 0) == 0) ++seen;
      at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
    }
  }
  ::close(fd);
  return seen >= nth;
}

void expectSameEnd(const fs::path& a, const fs::path& b, int step) {
  const fs::path last = fs::path("checkpoints") / ("step-" + std::to_string(step));
  for (const char* f : {"model.safetensors", "trainer_state.safetensors"}) {
    const std::string x = fileBytes(a / last / f), y = fileBytes(b / last / f);
    QVERIFY2(!x.empty() && x == y, (std::string(f) + " differs from the uninterrupted run's").c_str());
  }
}

void expectSameSteps(const fs::path& straight, const fs::path& run, int last) {
  const auto expected = loggedSteps(straight), got = loggedSteps(run);
  QCOMPARE(expected.size(), size_t(last));
  QCOMPARE(got.size(), expected.size());
  for (const auto& [step, values] : expected)
    QVERIFY2(got.count(step) && got.at(step) == values,
             qPrintable(QString("step %1: %2 instead of %3")
                            .arg(step)
                            .arg(QString::fromStdString(got.count(step) ? got.at(step).dump() : "nothing"))
                            .arg(QString::fromStdString(values.dump()))));
}

bool alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string fields;
  std::getline(stat, fields);
  const auto close = fields.rfind(')');
  return stat && close != std::string::npos && fields.size() > close + 2 && fields[close + 2] != 'Z';
}

std::vector<pid_t> rankPids(const fs::path& run) {
  std::vector<pid_t> pids;
  const Json launch = Json::parse(fileBytes(run / "logs/launch.json"), nullptr, false);
  if (launch.is_object())
    for (const Json& r : launch["ranks"]) pids.push_back(r["pid"].get<pid_t>());
  return pids;
}

void removeDatabase(const fs::path& workspace) {
  const fs::path database = storage::WorkspaceIndex::databasePath(workspace);
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(database.string() + suffix);
}

QStringList syncArgs(const fs::path& workspace) {
  return {"db", "sync", QString::fromStdString(workspace.string()), "--batch-lines", "500"};
}

// A served model's port, read from `reef serve`'s banner; 0 when it ended or took over a minute.
int servedPort(QProcess& p) {
  QByteArray banner;
  for (int i = 0; i < 1200 && p.state() != QProcess::NotRunning; ++i) {
    p.waitForReadyRead(50);
    banner += p.readAllStandardOutput();
    const int at = banner.indexOf("on http://127.0.0.1:");
    const int end = at < 0 ? -1 : banner.indexOf('\n', at);
    if (end > 0) return banner.mid(at + 20, end - at - 20).toInt();
  }
  return 0;
}

int abandonedAssetFolders(const fs::path& temp) {
  int n = 0;
  for (const auto& e : fs::directory_iterator(temp)) n += e.path().filename().string().rfind("reef-bundle-", 0) == 0;
  return n;
}

}  // namespace

class TestRandomKill : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::mt19937_64 rng_;
  fs::path path(const char* name) const { return fs::path(dir_.path().toStdString()) / name; }
  int uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }

  // One session of `reef train` on `run`, killed at a random time or inside a checkpoint write.
  // False when it finished before its moment came.
  bool trainAndKill(const fs::path& run, int& insideCheckpoint) {
    QProcess p;
    p.start(QStringLiteral(REEF_BINARY), trainArgs(run));
    if (!p.waitForStarted()) return false;
    const bool atCheckpoint = fs::exists(run / "checkpoints") && uniform(0, 1) == 0;
    const bool inTime = atCheckpoint ? waitForCheckpointWrite(run / "checkpoints", p, uniform(1, 3))
                                     : !p.waitForFinished(uniform(200, 2500));
    if (!inTime) {
      p.waitForFinished(120000);
      return false;
    }
    if (atCheckpoint) std::this_thread::sleep_for(std::chrono::microseconds(uniform(0, 2000)));
    ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
    p.waitForFinished(30000);
    if (stagingExists(run / "checkpoints")) ++insideCheckpoint;
    return true;
  }

  // One session of `reef launch` on `run`; the launcher or one of its ranks killed at a random
  // time. Returns once every process of the job has gone; false when it finished first.
  bool launchAndKill(const fs::path& run, QString& victim) {
    QProcess p;
    p.start(QStringLiteral(REEF_BINARY), launchArgs(run));
    if (!p.waitForStarted() || p.waitForFinished(uniform(1500, 6000))) {
      p.waitForFinished(120000);
      return false;
    }
    const std::vector<pid_t> ranks = rankPids(run);
    const int who = uniform(0, 2);
    victim = who == 0 ? "the launcher" : QString("rank %1").arg(who - 1);
    ::kill(who == 0 ? static_cast<pid_t>(p.processId()) : ranks.at(static_cast<size_t>(who - 1)), SIGKILL);
    if (!p.waitForFinished(60000)) return false;
    for (int i = 0; i < 600; ++i) {
      if (std::none_of(ranks.begin(), ranks.end(), alive)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    victim += ": a rank outlived the job";
    return false;
  }

 private Q_SLOTS:
  void initTestCase() {
    const uint64_t seed = qEnvironmentVariableIsSet("REEF_KILL_SEED")
                              ? qEnvironmentVariable("REEF_KILL_SEED").toULongLong()
                              : std::random_device{}();
    qInfo("kill moments from seed %llu (REEF_KILL_SEED=%llu replays them)", static_cast<unsigned long long>(seed),
          static_cast<unsigned long long>(seed));
    rng_.seed(seed);
    const ReefRun r = runReef(trainArgs(path("straight")));
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
  }

  // Runs are killed until 30 kills have landed: one that finishes before that (a fast machine) is
  // checked, and the next one is killed too.
  void trainingKilledAtRandomMomentsEndsBitIdentical() {
    int kills = 0, insideCheckpoint = 0, runs = 0;
    while (kills < 30) {
      const fs::path run = path("killed") / std::to_string(++runs);
      while (kills < 30 && trainAndKill(run, insideCheckpoint)) ++kills;
      const ReefRun r = runReef(trainArgs(run));  // resumes, or finds the run complete
      QVERIFY2(r.exitCode == 0, qPrintable(r.err));
      expectSameEnd(path("straight"), run, kSteps);
      expectSameSteps(path("straight"), run, kSteps);
    }
    qInfo("30 kills in %d runs, %d of them while a checkpoint was being written", runs, insideCheckpoint);
    QVERIFY2(insideCheckpoint >= 5, "fewer than 5 kills landed inside a checkpoint write");
  }

  void launchKilledAtRandomMomentsLeavesNoRankAndEndsBitIdentical() {
    const ReefRun straight = runReef(launchArgs(path("ddp-straight")), 300000);
    QVERIFY2(straight.exitCode == 0, qPrintable(straight.err));
    const fs::path run = path("ddp-killed");
    for (int kill = 0; kill < 8; ++kill) {
      QString victim;
      if (!launchAndKill(run, victim)) {
        QVERIFY2(!victim.contains("outlived"), qPrintable(victim));
        break;
      }
      qInfo("launch session %d: killed %s", kill + 1, qPrintable(victim));
    }
    const ReefRun r = runReef(launchArgs(run), 300000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    expectSameEnd(path("ddp-straight"), run, kDdpSteps);
    expectSameSteps(path("ddp-straight"), run, kDdpSteps);
  }

  // Copies of the runs above (a killed one, with its resumed sessions, among them) ingested while
  // `reef db sync` is killed at random moments, several times in a row before one finishes: the
  // database then equals a rebuild, and the killed run's series equal the uninterrupted one's.
  void runIndexKilledWhileIngestingEqualsARebuild() {
    const fs::path killed = path("killed") / "1";
    if (!fs::exists(killed / "events.jsonl")) QSKIP("runs after trainingKilledAtRandomMomentsEndsBitIdentical");
    const fs::path ws = path("workspace");
    fs::create_directories(ws / "runs");
    for (int i = 0; i < 12; ++i)
      for (const fs::path& run : {path("straight"), killed}) {
        const std::string name = run == killed ? "killed" : "straight";
        const fs::path copy = ws / "runs" / ("20261203-0000" + std::to_string(10 + i) + "-" + name);
        fs::copy(run, copy, fs::copy_options::recursive);
        fs::remove_all(copy / "checkpoints");  // the index reads events, not weights
      }
    storage::WorkspaceIndex::rebuild(ws);
    Json reference;
    {
      storage::WorkspaceIndex index(ws);
      reference = indexSnapshot(index.db());
    }
    auto stepsAndValues = [](const Json& points) {
      Json out = Json::array();
      for (const Json& p : points) out.push_back({p[0], p[2]});
      return out;
    };
    QCOMPARE(stepsAndValues(reference["20261203-000010-killed"]["series"]["train/loss"]),
             stepsAndValues(reference["20261203-000010-straight"]["series"]["train/loss"]));
    removeDatabase(ws);
    QElapsedTimer full;
    full.start();
    QCOMPARE(runReef(syncArgs(ws)).exitCode, 0);
    const int fullMs = static_cast<int>(full.elapsed());
    int kills = 0, chains = 0;
    while (kills < 30) {
      removeDatabase(ws);
      for (int k = 0; k < 5; ++k, ++kills) {
        QProcess p;
        p.start(QStringLiteral(REEF_BINARY), syncArgs(ws));
        if (!p.waitForStarted() || p.waitForFinished(uniform(0, fullMs))) break;
        ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
        p.waitForFinished(30000);
      }
      const ReefRun finish = runReef(syncArgs(ws));
      QVERIFY2(finish.exitCode == 0, qPrintable(finish.err));
      storage::WorkspaceIndex index(ws);
      QVERIFY2(indexSnapshot(index.db()) == reference, qPrintable(QString("after chain %1").arg(chains)));
      ++chains;
    }
    qInfo("%d kills in %d chains of interrupted syncs (a full sync: %d ms)", kills, chains, fullMs);
  }

  // `reef serve` of a bundle whose assets must be unpacked (its data root holds none), killed at
  // random moments while it loads: started again, it serves, and the folders the killed ones
  // unpacked are gone.
  void serveKilledWhileLoadingServesAfterwards() {
    const fs::path run = path("bow"), bundle = path("bow.reef"), temp = path("tmp");
    ReefRun r = runReef({"train", example("nlp/fortunes_bow.yaml"), "--run-dir", QString::fromStdString(run.string()),
                         "--plain", "--set", "trainer.max_steps=5", "--set", "trainer.val_interval=5", "--set",
                         "trainer.limit_val_batches=1", "--set", "trainer.test_at_end=false"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    r = runReef({"export", QString::fromStdString(run.string()), "--format", "bundle", "--out",
                 QString::fromStdString(bundle.string())});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    fs::create_directories(temp);
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("TMPDIR", QString::fromStdString(temp.string()));
    env.insert("REEF_DATA", QString::fromStdString(path("no-data").string()));
    auto serve = [&](QProcess& p) {
      p.setProcessEnvironment(env);
      p.start(QStringLiteral(REEF_BINARY), {"serve", QString::fromStdString(bundle.string()), "--port", "0"});
    };
    QElapsedTimer load;
    load.start();
    {
      QProcess p;
      serve(p);
      QVERIFY(servedPort(p) > 0);
      ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
      p.waitForFinished(30000);
    }
    const int loadMs = static_cast<int>(load.elapsed());
    for (int k = 0; k < 10; ++k) {
      QProcess p;
      serve(p);
      p.waitForFinished(uniform(0, loadMs));
      ::kill(static_cast<pid_t>(p.processId()), SIGKILL);
      p.waitForFinished(30000);
    }
    QProcess p;
    serve(p);
    const int port = servedPort(p);
    QVERIFY2(port > 0, p.readAllStandardError().constData());
    httplib::Client client("127.0.0.1", port);
    const auto answer = client.Post("/v1/classify", R"({"model": "fortunes-bow", "input": ["A fool and his money."]})",
                                    "application/json");
    const int folders = abandonedAssetFolders(temp);
    p.terminate();
    p.waitForFinished(30000);
    QVERIFY(answer);
    QVERIFY2(answer->status == 200, answer->body.c_str());
    QCOMPARE(folders, 1);  // the live server's own
    qInfo("11 kills of reef serve while it loaded a bundle (%d ms to load and answer)", loadMs);
  }
};

QTEST_GUILESS_MAIN(TestRandomKill)
#include "tst_random_kill.moc"

// The sweep's folder: state round trips (NaN reports included), sweeps found by id prefix, the
// controller's lock seen from outside, and a write that runs out of space (a file-size limit, as
// a full disk answers) leaving the previous state.json whole.
#include "backend/protocol/yaml_json.h"
#include "backend/sweep/sweep_store.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmath>
#include <csignal>

using namespace reef;
using namespace reef::sweep;

namespace {

SweepSpec spec() {
  return parseSweep(protocol::parseYaml("name: s\nbase: {model: {collection: vision, arch: cnn}}\nrun_cap: 3\n"
                                        "parameters: {optim.lr: {distribution: log_uniform, min: 1.0e-4, max: 1}}\n",
                                        "s.yaml"),
                    "s.yaml", ".");
}

Trial trial(int number, double value) {
  Trial t;
  t.number = number;
  t.params = {{"optim.lr", 0.01 * (number + 1)}};
  t.status = TrialStatus::Completed;
  t.reports = {{10, NAN}, {20, value}};
  t.rungs = {{0, NAN}};
  t.value = value;
  t.steps = 20;
  return t;
}

}  // namespace

class TestSweepStore : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private Q_SLOTS:
  void stateRoundTripsWithNonFiniteReports() {
    const SweepStore store = SweepStore::create(dir_.path().toStdString(), spec(), "local", 2);
    SweepState state = store.load();
    QCOMPARE(state.status, std::string("running"));
    QCOMPARE(state.parallel, 2);
    state.trials = {trial(0, 0.5), trial(1, 0.7)};
    store.save(state);
    const SweepState back = store.load();
    QCOMPARE(back.trials.size(), size_t{2});
    QVERIFY(std::isnan(back.trials[0].reports.at(10)));
    QCOMPARE(back.trials[1].reports.at(20), 0.7);
    QVERIFY(std::isnan(back.trials[0].rungs.at(0)));
    QCOMPARE(back.toJson().dump(), state.toJson().dump());
    QCOMPARE(store.spec().toJson().dump(), spec().toJson().dump());
  }

  void sweepsAreFoundByTheirIdsBeginning() {
    const auto ids = SweepStore::list(dir_.path().toStdString());
    QCOMPARE(ids.size(), size_t{1});
    QCOMPARE(SweepStore::open(dir_.path().toStdString(), ids[0].substr(0, 12)).id(), ids[0]);
    try {
      SweepStore::open(dir_.path().toStdString(), "nope");
      QFAIL("opened a sweep that does not exist");
    } catch (const std::runtime_error& e) {
      QVERIFY(QString(e.what()).contains("reef sweep list"));
    }
  }

  void theControllersLockIsSeenFromOutside() {
    const SweepStore store =
        SweepStore::open(dir_.path().toStdString(), SweepStore::list(dir_.path().toStdString())[0]);
    QVERIFY(!store.controllerRunning());
    const int fd = ::open(store.lockFile().c_str(), O_RDWR | O_CREAT, 0644);
    QVERIFY(::flock(fd, LOCK_EX | LOCK_NB) == 0);
    QVERIFY(store.controllerRunning());
    ::close(fd);
    QVERIFY(!store.controllerRunning());
  }

  void aWriteThatRunsOutOfSpaceKeepsThePreviousState() {
    const SweepStore store =
        SweepStore::open(dir_.path().toStdString(), SweepStore::list(dir_.path().toStdString())[0]);
    const std::string before = store.load().toJson().dump();
    SweepState bigger = store.load();
    for (int i = 2; i < 200; ++i) bigger.trials.push_back(trial(i, 0.1));
    rlimit old{};
    ::getrlimit(RLIMIT_FSIZE, &old);
    const auto previous = std::signal(SIGXFSZ, SIG_IGN);  // the write then fails with EFBIG
    rlimit tight = old;
    tight.rlim_cur = 4096;
    ::setrlimit(RLIMIT_FSIZE, &tight);
    QString error;
    try {
      store.save(bigger);
    } catch (const std::runtime_error& e) {
      error = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
    std::signal(SIGXFSZ, previous);
    QVERIFY2(error.contains("state.json.partial") && error.contains("disk full"), qPrintable(error));
    QCOMPARE(store.load().toJson().dump(), before);
    QVERIFY(!std::filesystem::exists(store.root() / "state.json.partial"));
    store.save(bigger);  // with space again
    QCOMPARE(store.load().trials.size(), size_t{200});
  }
};

QTEST_GUILESS_MAIN(TestSweepStore)
#include "tst_sweep_store.moc"

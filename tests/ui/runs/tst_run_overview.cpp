// Details' Overview: a finished run's monitored metric (best and last with their steps), its
// checkpoints and the command that reproduces it; a running DDP run's progress, ETA, parameter
// count and ranks from its run_started event; a resumed cluster run's sessions, ETA and command;
// tags and notes edited in place reach the index and the run folder.
#include "storage/annotations.h"
#include "storage/run_query.h"
#include "storage/workspace_index.h"
#include "tests/ui/studio_fixture.h"
#include "ui/runs/run_details.h"
#include "ui/runs/run_overview.h"
#include "ui/workspace_session.h"

#include <QLineEdit>
#include <QProgressBar>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace reef;
using namespace reef::ui;

class TestRunOverview : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::unique_ptr<WorkspaceSession> session_;
  qint64 finished_ = 0, running_ = 0, resumed_ = 0;

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    const std::filesystem::path ws = dir_.path().toStdString();
    const auto done = test::writeRun(ws, "20261202-100000-aaaaaa", "alpha", 1e-3, 0.9);
    test::appendEvents(done,
                       "{\"v\":1,\"t\":\"checkpoint\",\"time\":1.8e9,\"step\":50,\"path\":\"checkpoints/step-50\","
                       "\"monitor\":\"val/acc\",\"value\":0.9,\"removed_steps\":[]}\n");
    const auto live = ws / "runs" / "20261202-110000-bbbbbb";
    std::filesystem::create_directories(live);
    std::ofstream(live / "spec.yaml") << "model: {collection: vision, arch: cnn}\n"
                                         "exp: {name: live, monitor: val/loss, monitor_mode: min}\n";
    test::appendEvents(
        live,
        "{\"v\":1,\"t\":\"run_started\",\"time\":1.9e9,\"total_steps\":200,\"world_size\":2,"
        "\"strategy\":\"ddp\",\"backend\":\"gloo\",\"devices\":[\"cpu\"],\"threads\":1,"
        "\"parameters\":421642,\"trainable_parameters\":421642,\"host\":\"node1\",\"pid\":" +
            std::to_string(QCoreApplication::applicationPid()) +
            "}\n{\"v\":1,\"t\":\"metric\",\"time\":1900000010,\"step\":50,\"values\":{\"val/loss\":0.5}}\n");
    const auto resumed = ws / "runs" / "20261202-120000-cccccc";  // on a cluster, interrupted once
    std::filesystem::create_directories(resumed);
    std::ofstream(resumed / "spec.yaml") << "model: {collection: vision, arch: cnn}\nexp: {name: resumed}\n";
    std::ofstream(resumed / "cluster.json")
        << R"({"cluster": "nodes", "scheduler": "slurm", "job": "5", "remote_dir": "/home/me/reef/runs/x",)"
           R"( "state": "RUNNING", "resources": {"nodes": 2, "tasks_per_node": 1}})";
    test::appendEvents(resumed,
                       "{\"v\":1,\"t\":\"run_started\",\"time\":1.9e9,\"total_steps\":400,\"host\":\"node1\"}\n"
                       "{\"v\":1,\"t\":\"metric\",\"time\":1900000100,\"step\":120,\"values\":{\"train/loss\":1}}\n"
                       "{\"v\":1,\"t\":\"run_finished\",\"time\":1900000101,\"status\":\"failed\",\"step\":120,"
                       "\"error\":\"rank 0 of 2 on node1: Timed out (no sign of life from rank 1 on node2 for 3 s)\"}\n"
                       "{\"v\":1,\"t\":\"run_started\",\"time\":1900000600,\"total_steps\":400,\"host\":\"node1\","
                       "\"resumed_from_step\":100}\n"
                       "{\"v\":1,\"t\":\"metric\",\"time\":1900000620,\"step\":200,\"values\":{\"train/loss\":1}}\n");
    session_ = std::make_unique<WorkspaceSession>(dir_.path());
    session_->index().sync();
    finished_ = session_->index().resolveRun("aaaaaa");
    running_ = session_->index().resolveRun("bbbbbb");
    resumed_ = session_->index().resolveRun("cccccc");
  }

  void finishedRunAtAGlance() {
    RunDetails details(*session_, nullptr);
    details.setRun(finished_);
    QCOMPARE(details.tabs()->widget(0), static_cast<QWidget*>(details.overview()));
    const RunOverview& o = *details.overview();
    QCOMPARE(o.field("Status"), QString("completed"));
    QVERIFY2(o.field("Monitor").contains("val/acc (max): best 0.9 at step 50, last 0.9 at step 50"),
             qPrintable(o.field("Monitor")));
    QCOMPARE(o.field("Checkpoints"), QString("1 kept, at step 50"));
    QVERIFY(o.field("Reproduce").startsWith("reef train " + dir_.path() + "/runs/20261202-100000-aaaaaa/spec.yaml"));
    QCOMPARE(o.progress()->value(), 1000);
    QVERIFY(o.field("ETA").isEmpty());
  }

  void runningRunShowsProgressEtaAndLayout() {
    RunOverview o(*session_);
    o.display(running_, storage::runDetails(session_->index().db(), running_));
    QCOMPARE(o.field("Status"), QString("running"));
    QCOMPARE(o.progress()->value(), 250);          // step 50 of 200
    QCOMPARE(o.field("ETA"), QString("ETA 30s"));  // 150 steps at 10 s per 50
    QCOMPARE(o.field("Model"), QString("vision/cnn, 421,642 parameters"));
    QVERIFY2(o.field("Parallelism").startsWith("ddp, 2 ranks (gloo)"), qPrintable(o.field("Parallelism")));
    QCOMPARE(o.field("Host"), QString("node1"));
    QVERIFY(o.field("Monitor").contains("val/loss (min): best 0.5 at step 50"));
  }

  // A cluster run that a node failure interrupted: each session with where it started and how it
  // ended, the ETA from the pace of the session that runs (not the time lost between them), and
  // the command that runs the spec on the same cluster again.
  void aResumedClusterRunListsItsSessions() {
    RunOverview o(*session_);
    o.display(resumed_, storage::runDetails(session_->index().db(), resumed_));
    QCOMPARE(o.field("Status"), QString("running"));
    const QString sessions = o.field("Sessions");
    QVERIFY2(sessions.contains("1. ") && sessions.contains("on node1, from the start: failed at step 120: rank 0 of 2 "
                                                           "on node1: Timed out (no sign of life from rank 1 on node2"),
             qPrintable(sessions));
    QVERIFY2(sessions.contains("2. ") && sessions.contains("from the checkpoint at step 100") &&
                 !sessions.contains("ended without"),
             qPrintable(sessions));
    QCOMPARE(o.field("ETA"), QString("ETA 40s"));  // 200 steps at 20 s per 100
    QVERIFY2(o.field("Reproduce").startsWith("reef submit --cluster nodes " + dir_.path()),
             qPrintable(o.field("Reproduce")));
  }

  void tagsAndNotesAreEditedInPlace() {
    RunDetails details(*session_, nullptr);
    details.setRun(finished_);
    QSignalSpy annotated(&details, &RunDetails::annotated);
    RunOverview& o = *details.overview();
    o.tags()->setText("baseline, keep");
    Q_EMIT o.tags()->editingFinished();
    o.newNote()->setText("lr looks high");
    QTest::keyClick(o.newNote(), Qt::Key_Return);
    QCOMPARE(annotated.count(), 2);
    const auto a = storage::readAnnotations(dir_.path().toStdString() + "/runs/20261202-100000-aaaaaa");
    QCOMPARE(a.tags, (std::vector<std::string>{"baseline", "keep"}));
    QCOMPARE(a.notes.back().text, std::string("lr looks high"));
    QVERIFY(o.field("Notes").contains("lr looks high"));
    o.tags()->setText("keep");
    Q_EMIT o.tags()->editingFinished();
    QCOMPARE(storage::readAnnotations(dir_.path().toStdString() + "/runs/20261202-100000-aaaaaa").tags,
             std::vector<std::string>{"keep"});
  }
};

QTEST_MAIN(TestRunOverview)
#include "tst_run_overview.moc"

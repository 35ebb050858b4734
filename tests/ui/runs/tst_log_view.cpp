// The Logs tab follows a live run: the launcher's progress lines appear within a second of being
// written, also when the run was selected (at its launch) while another tab was shown; the
// engine's log events stay one choice away; files that appear in logs/ become choices. LogTail,
// underneath, returns complete lines only, restarts on a rewritten file and reads only the end of
// a large one.
#include "storage/workspace_index.h"
#include "tests/ui/studio_fixture.h"
#include "ui/main_window.h"
#include "ui/plots/curve_dashboard.h"
#include "ui/runs/log_tail.h"
#include "ui/runs/log_view.h"
#include "ui/runs/runs_view.h"
#include "ui/workspace_session.h"

#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace reef;
using namespace reef::ui;

namespace {

void append(const QString& file, const std::string& text) {
  std::ofstream(file.toStdString(), std::ios::app) << text << std::flush;
}

}  // namespace

class TestLogView : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::filesystem::path ws_;

  // A run the launcher started: its progress in logs/launcher.log, no run_finished yet.
  std::filesystem::path writeRunningRun(const std::string& id) {
    const auto run = ws_ / "runs" / id;
    std::filesystem::create_directories(run / "logs");
    std::ofstream(run / "spec.yaml") << "model: {collection: vision, arch: cnn}\nexp: {name: \"\", seed: 1}\n";
    test::appendEvents(run,
                       "{\"v\":1,\"t\":\"run_started\",\"time\":1.8e9,\"total_steps\":100}\n"
                       "{\"v\":1,\"t\":\"log\",\"time\":1.8e9,\"level\":\"info\",\"rank\":0,"
                       "\"message\":\"training vision/cnn\"}\n");
    std::ofstream(run / "logs" / "launcher.log") << "reef train: run " << id << "\n";
    return run;
  }

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    ws_ = dir_.path().toStdString();
  }

  // The bug: selected at launch with the Curves tab in front, the Logs tab stayed empty.
  void runningRunShowsNewLinesWithinASecond() {
    const auto run = writeRunningRun("20261202-120000-aaaaaa");
    const QString launcherLog = QString::fromStdString((run / "logs" / "launcher.log").string());
    MainWindow window(std::nullopt, "no engine in this test", {});
    QVERIFY(window.openWorkspace(dir_.path()));
    window.show();
    window.session()->index().syncRun(run);
    window.runsView()->refresh();
    window.tabs()->setCurrentWidget(window.curves());
    window.runsView()->selectRun(window.session()->index().resolveRun(run.string()));

    append(launcherLog, "step 10/100 train/loss 1.92\n");
    window.tabs()->setCurrentWidget(window.logs());
    QCOMPARE(window.logs()->sourceName(), QString("launcher.log"));
    QTRY_VERIFY_WITH_TIMEOUT(window.logs()->text().contains("step 10/100"), 1000);
    QVERIFY(window.logs()->text().contains("reef train: run"));

    append(launcherLog, "step 20/100 train/loss 1.41\nstep 30/1");  // the last line is unfinished
    QTRY_VERIFY_WITH_TIMEOUT(window.logs()->text().contains("step 20/100"), 1000);
    QVERIFY(!window.logs()->text().contains("step 30/1"));
    append(launcherLog, "00 train/loss 1.07\n");
    QTRY_VERIFY_WITH_TIMEOUT(window.logs()->text().contains("step 30/100 train/loss 1.07"), 1000);

    // The engine's log events are the other choice; a rank's log that appears becomes one too.
    window.logs()->setSource("events");
    QVERIFY2(window.logs()->text().contains("training vision/cnn"), qPrintable(window.logs()->text()));
    QVERIFY(!window.logs()->text().contains("step 10/100"));
    append(QString::fromStdString((run / "logs" / "rank-1.log").string()), "rank one says hello\n");
    window.logs()->refresh();
    window.logs()->setSource("rank-1.log");
    QCOMPARE(window.logs()->sourceName(), QString("rank-1.log"));
    QVERIFY(window.logs()->text().contains("rank one says hello"));
  }

  void finishedRunWithoutLauncherShowsItsEvents() {
    const auto run = test::writeRun(ws_, "run-finished", "alpha", 1e-3, 0.9);
    WorkspaceSession session(dir_.path());
    session.index().syncRun(run);
    LogView view(session);
    view.setRun(session.index().resolveRun(run.string()));
    QCOMPARE(view.sourceName(), QString("events"));
    QVERIFY(view.text().contains("hello from alpha"));
  }

  void tailReturnsCompleteLinesAndRestarts() {
    const QString file = dir_.filePath("tail.log");
    append(file, "one\ntw");
    LogTail tail(file);
    QCOMPARE(tail.read(), QStringList{"one"});
    QCOMPARE(tail.read(), QStringList{});
    append(file, "o\r\nthree\rfour\n");
    QCOMPARE(tail.read(), (QStringList{"two", "three", "four"}));
    std::ofstream(file.toStdString(), std::ios::trunc) << "new\n";  // rewritten: shorter than before
    bool restarted = false;
    QCOMPARE(tail.read(&restarted), QStringList{"new"});
    QVERIFY(restarted);
    QCOMPARE(LogTail(dir_.filePath("missing.log")).read(), QStringList{});
  }

  void tailReadsOnlyTheEndOfALargeFile() {
    const QString file = dir_.filePath("large.log");
    std::string text;
    for (int i = 0; i < 1000; ++i) text += "line " + std::to_string(i) + "\n";
    append(file, text);
    const QStringList lines = LogTail(file, 100).read();
    QVERIFY(!lines.isEmpty() && lines.size() < 20);
    QCOMPARE(lines.last(), QString("line 999"));
    QVERIFY(lines.first().startsWith("line 9"));  // whole lines only
  }
};

QTEST_MAIN(TestLogView)
#include "tst_log_view.moc"

// The main window's menus as a user drives them: File, Run, View and Help with the usual keys,
// actions that need a workspace disabled until one is open, View's keys bringing their tab
// forward, Find focusing the runs filter, the title naming the workspace, and the window's size
// restored on the next start.
#include "tests/ui/studio_fixture.h"

#include "ui/main_window.h"
#include "ui/plots/curve_dashboard.h"
#include "ui/runs/log_view.h"
#include "ui/runs/runs_view.h"
#include "ui/welcome/welcome_page.h"

#include <QAction>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

using namespace reef;
using namespace reef::ui;

namespace {

QAction* findAction(QMainWindow& window, const QString& menu, const QString& text) {
  for (QAction* m : window.menuBar()->actions())
    if (m->text().remove('&') == menu)
      for (QAction* a : m->menu()->actions())
        if (a->text().remove('&') == text) return a;
  return nullptr;
}

}  // namespace

class TestMainMenus : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  void menusAndTheirKeys() {
    QTemporaryDir dir;
    test::writeRun(dir.path().toStdString(), "run-a", "alpha", 0.001, 0.9);
    MainWindow window(std::nullopt, "no engine in this test", {});
    QStringList menus;
    for (QAction* m : window.menuBar()->actions()) menus << m->text().remove('&');
    QCOMPARE(menus, QStringList({"File", "Run", "View", "Help"}));
    QCOMPARE(findAction(window, "File", "Open workspace...")->shortcut(), QKeySequence(QKeySequence::Open));
    QCOMPARE(findAction(window, "Run", "New run")->shortcut(), QKeySequence(QKeySequence::New));
    QCOMPARE(findAction(window, "Run", "Launch")->shortcut(), QKeySequence("Ctrl+Return"));
    QCOMPARE(findAction(window, "Run", "Stop selected")->shortcut(), QKeySequence("Ctrl+."));
    QCOMPARE(findAction(window, "View", "Find runs")->shortcut(), QKeySequence(QKeySequence::Find));
    QCOMPARE(findAction(window, "View", "Reset zoom")->shortcut(), QKeySequence("Ctrl+0"));
    QCOMPARE(findAction(window, "View", "Zoom in")->shortcut(), QKeySequence(QKeySequence::ZoomIn));
    QCOMPARE(findAction(window, "View", "Zoom out")->shortcut(), QKeySequence(QKeySequence::ZoomOut));
    QCOMPARE(findAction(window, "Help", "Getting started")->shortcut(), QKeySequence(QKeySequence::HelpContents));
    QVERIFY(!findAction(window, "View", "Logs")->isEnabled());  // no workspace yet
    QVERIFY(!findAction(window, "Run", "Stop selected")->isEnabled());

    QVERIFY(window.openWorkspace(dir.path()));
    QVERIFY(window.windowTitle().contains(dir.path()));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    QVERIFY(findAction(window, "View", "Logs")->isEnabled());
    QTest::keyClick(&window, Qt::Key_4, Qt::ControlModifier);
    QCOMPARE(window.tabs()->currentWidget(), window.logs());
    QTest::keyClick(&window, Qt::Key_1, Qt::ControlModifier);
    QCOMPARE(window.tabs()->currentWidget(), window.curves());
    QTest::keyClick(&window, Qt::Key_F, Qt::ControlModifier);
    QTRY_VERIFY(window.runsView()->findChild<QLineEdit*>()->hasFocus());
    QTest::keyClick(&window, Qt::Key_F1);
    QCOMPARE(window.pages()->currentWidget(), static_cast<QWidget*>(window.welcome()));
    findAction(window, "View", "Runs panel")->trigger();
    QVERIFY(!window.runsView()->isVisible());
  }

  void theWindowKeepsItsSize() {
    {
      MainWindow window(std::nullopt, "no engine in this test", {});
      window.show();
      QVERIFY(QTest::qWaitForWindowExposed(&window));
      window.resize(1111, 666);
      QTRY_COMPARE(window.size(), QSize(1111, 666));
      window.close();
    }
    MainWindow again(std::nullopt, "no engine in this test", {});
    QCOMPARE(again.size(), QSize(1111, 666));
  }
};

QTEST_MAIN(TestMainMenus)
#include "tst_main_menus.moc"

// The first-run path: an empty workspace opens on the welcome page, one card per collection
// (quickest first) from the examples' `# first run:` lines; a card opens its example in the
// designer; a workspace with runs opens on the tabs; Help > Getting started comes back to it;
// without the engine's catalog the cards say why they cannot open.
#include "tests/ui/studio_fixture.h"
#include "ui/designer/designer_widget.h"
#include "ui/engine_client.h"
#include "ui/main_window.h"
#include "ui/welcome/first_runs.h"
#include "ui/welcome/welcome_page.h"

#include <QAction>
#include <QMenuBar>
#include <QPushButton>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

using namespace reef;
using namespace reef::ui;

class TestWelcome : public QObject {
  Q_OBJECT

 private slots:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  void firstRunLinesAreParsed() {
    const auto run =
        parseFirstRun("/x/examples/vision/a.yaml",
                      "# Digits with a CNN.\n# Reaches 99 %.\n# first run: Train digits | 40 s\nmodel: {}\n"
                      "# first run: not in the header | 1 s\n");
    QVERIFY(run);
    QCOMPARE(run->title, QString("Train digits"));
    QCOMPARE(run->seconds, 40);
    QCOMPARE(run->collection, QString("vision"));
    QCOMPARE(run->summary, QString("Digits with a CNN. Reaches 99 %."));
    QVERIFY(!parseFirstRun("a.yaml", "# no marker\nmodel: {}\n"));
    QVERIFY(!parseFirstRun("a.yaml", "# first run: no time\n"));
    QCOMPARE(parseFirstRun("a.yaml", "# first run: Long | 30 min\n")->seconds, 1800);
  }

  void everyCollectionHasACardQuickestFirst() {
    const QList<FirstRun> runs = firstRuns(exampleSpecs());
    QStringList collections;
    for (const auto& r : runs) collections << r.collection;
    QCOMPARE(collections.size(), 6);
    for (const char* c : {"asr", "llm", "multimodal", "nlp", "tts", "vision"})
      QVERIFY2(collections.contains(c), qPrintable(collections.join(", ")));
    for (int i = 1; i < runs.size(); ++i) QVERIFY(runs[i - 1].seconds <= runs[i].seconds);
  }

  void anEmptyWorkspaceOpensOnTheWelcomePage() {
    QTemporaryDir empty;
    MainWindow window(loadCatalog(REEF_BINARY), {}, REEF_BINARY);
    QVERIFY(window.openWorkspace(empty.path()));
    QCOMPARE(window.pages()->currentWidget(), static_cast<QWidget*>(window.welcome()));
    // The MNIST card opens its example in the designer.
    QPushButton* mnist = nullptr;
    for (QPushButton* b : window.welcome()->cardButtons())
      if (b->toolTip().endsWith("vision/mnist_cnn.yaml")) mnist = b;
    QVERIFY(mnist && mnist->isEnabled());
    QTest::mouseClick(mnist, Qt::LeftButton);
    QCOMPARE(window.pages()->currentWidget(), static_cast<QWidget*>(window.tabs()));
    QCOMPARE(window.tabs()->currentWidget(), static_cast<QWidget*>(window.designer()));
    QCOMPARE(window.designer()->currentSpec()["model"]["arch"].get<std::string>(), std::string("cnn"));
    // Help > Getting started brings it back.
    QAction* gettingStarted = nullptr;
    for (QAction* a : window.menuBar()->findChildren<QAction*>())
      if (a->text() == "&Getting started") gettingStarted = a;
    QVERIFY(gettingStarted);
    gettingStarted->trigger();
    QCOMPARE(window.pages()->currentWidget(), static_cast<QWidget*>(window.welcome()));
    QTest::mouseClick(window.welcome()->skipButton(), Qt::LeftButton);
    QCOMPARE(window.pages()->currentWidget(), static_cast<QWidget*>(window.tabs()));
  }

  void aWorkspaceWithRunsOpensOnTheTabs() {
    QTemporaryDir dir;
    test::writeRun(dir.path().toStdString(), "run-a", "alpha", 1e-3, 0.9);
    MainWindow window(std::nullopt, "the engine is missing in this test", {});
    QVERIFY(window.openWorkspace(dir.path()));
    QCOMPARE(window.pages()->currentWidget(), static_cast<QWidget*>(window.tabs()));
    for (QPushButton* b : window.welcome()->cardButtons()) QVERIFY(!b->isEnabled());  // no designer
  }
};

QTEST_MAIN(TestWelcome)
#include "tst_welcome.moc"

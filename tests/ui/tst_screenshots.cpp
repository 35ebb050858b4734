// Real windows under Xvfb with real runs: saves PNGs of the designer, the runs table with the
// curves, a run's overview and confusion matrix and the welcome page of an empty workspace (at 1366x768) into the
// build folder (the README and docs/studio.md show them).
#include "ui/designer/designer_widget.h"
#include "ui/engine_client.h"
#include "ui/main_window.h"
#include "ui/plots/curve_plot.h"
#include "ui/runs/run_details.h"
#include "ui/runs/runs_model.h"
#include "ui/runs/runs_view.h"
#include "ui/welcome/welcome_page.h"
#include "ui/workspace_session.h"

#include <QDir>
#include <QListWidget>
#include <QProcess>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <set>

using namespace reef;
using namespace reef::ui;

namespace {

void train(const QString& workspace, const QString& lr, const QString& name) {
  QProcess p;
  p.start(REEF_BINARY, {"train", REEF_SOURCE_DIR "/resources/examples/vision/mnist_cnn.yaml", "--workspace", workspace,
                        "--set", "trainer.max_steps=300", "--set", "trainer.val_interval=100", "--set",
                        "trainer.log_interval=10", "--set", "optim.lr=" + lr, "--set", "exp.name=" + name});
  QVERIFY(p.waitForFinished(120000));
  QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
}

// A screenshot worth keeping has real content: many distinct colours, not a blank window.
void save(QWidget* widget, const QString& name) {
  const QImage image = widget->grab().toImage();
  std::set<QRgb> colours;
  for (int y = 0; y < image.height(); y += 3)
    for (int x = 0; x < image.width(); x += 3) colours.insert(image.pixel(x, y));
  QVERIFY2(colours.size() > 40, qPrintable(QString("%1 has %2 colours").arg(name).arg(colours.size())));
  QDir().mkpath(REEF_SCREENSHOT_DIR);
  QVERIFY(image.save(QString(REEF_SCREENSHOT_DIR) + "/" + name));
}

}  // namespace

class TestScreenshots : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  void studioWithRealRuns() {
    QTemporaryDir dir;
    train(dir.path(), "0.002", "mnist-lr2e-3");
    train(dir.path(), "0.0005", "mnist-lr5e-4");
    MainWindow window(loadCatalog(REEF_BINARY), {}, REEF_BINARY);
    window.resize(1500, 900);
    QVERIFY(window.openWorkspace(dir.path()));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QTRY_COMPARE_WITH_TIMEOUT(window.runsView()->model()->rowCount(), 2, 10000);
    window.runsView()->table()->selectAll();
    window.tabs()->setCurrentWidget(window.curves());
    QTRY_VERIFY_WITH_TIMEOUT(window.curves()->pointCount(window.runsView()->model()->run(0).id) == 30, 10000);
    QTest::qWait(300);
    save(&window, "studio-curves.png");

    window.designer()->loadSpecFile(REEF_SOURCE_DIR "/resources/examples/vision/mnist_cnn.yaml");
    window.tabs()->setCurrentWidget(window.designer());
    QTest::qWait(200);
    save(&window, "studio-designer.png");

    window.runsView()->table()->selectRow(0);
    window.tabs()->setCurrentWidget(window.details());
    window.details()->tabs()->setCurrentIndex(0);  // the overview
    QTest::qWait(300);
    save(&window, "studio-overview.png");

    window.details()->tabs()->setCurrentIndex(5);  // the confusion matrix
    QTest::qWait(300);
    save(&window, "studio-confusion-matrix.png");

    window.details()->tabs()->setCurrentIndex(6);             // the predictions
    QVERIFY(window.details()->predictions()->count() >= 24);  // examples of the test split, wrong ones first
    QTest::qWait(200);
    save(&window, "studio-predictions.png");
  }

  void welcomeOnAnEmptyWorkspace() {
    QTemporaryDir dir;
    MainWindow window(loadCatalog(REEF_BINARY), {}, REEF_BINARY);
    window.resize(1366, 768);
    QVERIFY(window.openWorkspace(dir.path()));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QCOMPARE(window.pages()->currentWidget(), static_cast<QWidget*>(window.welcome()));
    QTest::qWait(200);
    save(&window, "studio-welcome.png");
  }
};

QTEST_MAIN(TestScreenshots)
#include "tst_screenshots.moc"

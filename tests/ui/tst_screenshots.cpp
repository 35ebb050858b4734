// Real windows under Xvfb with real runs: saves PNGs of every view (curves dashboard, compare,
// designer, logs, a run's overview, confusion matrix and predictions, Deploy and Playground with a
// live server, the welcome page of an empty workspace) at 1600x1000 and at 1366x768 into the
// build folder (the README and docs/studio.md show them).
#include "ui/deploy/deploy_view.h"
#include "ui/deploy/serve_process.h"
#include "ui/designer/designer_widget.h"
#include "ui/engine_client.h"
#include "ui/main_window.h"
#include "ui/plots/curve_dashboard.h"
#include "ui/runs/compare_view.h"
#include "ui/runs/log_view.h"
#include "ui/runs/run_details.h"
#include "ui/runs/runs_model.h"
#include "ui/runs/runs_view.h"
#include "ui/welcome/welcome_page.h"
#include "ui/workspace_session.h"

#include <QDir>
#include <QImage>
#include <QListWidget>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
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

// Deploys the first run from its Deploy tab and classifies a test digit in the Playground, so
// that both show a live server.
void deployFirstRun(MainWindow& window, const QString& workDir) {
  window.runsView()->table()->selectRow(0);
  QSignalSpy started(window.deploy()->server(), &ServeProcess::started);
  QTest::mouseClick(window.deploy()->deployButton(), Qt::LeftButton);
  QVERIFY(started.wait(60000));
  std::ifstream idx(REEF_SOURCE_DIR "/data/mnist/t10k-images-idx3-ubyte", std::ios::binary);
  idx.seekg(16);
  QImage digit(28, 28, QImage::Format_Grayscale8);
  for (int y = 0; y < 28; ++y) idx.read(reinterpret_cast<char*>(digit.scanLine(y)), 28);
  const QString png = QDir(workDir).filePath("seven.png");
  QVERIFY(digit.save(png));
  QSignalSpy classified(window.deploy(), &DeployView::classified);
  window.deploy()->classifyFile(png);
  QVERIFY(classified.wait(30000));
}

// Every view of the window with the two trained runs, saved as studio-<view><suffix>.png.
void everyView(MainWindow& window, const QString& suffix) {
  window.runsView()->table()->selectAll();
  window.tabs()->setCurrentWidget(window.curves());
  const qint64 first = window.runsView()->model()->run(0).id;
  QTRY_VERIFY_WITH_TIMEOUT(
      window.curves()->panel("train/loss") && window.curves()->panel("train/loss")->pointCount(first) == 30, 10000);
  QTest::qWait(300);
  save(&window, "studio-curves" + suffix + ".png");
  window.tabs()->setCurrentWidget(window.compare());
  QTest::qWait(300);
  save(&window, "studio-compare" + suffix + ".png");

  window.designer()->loadSpecFile(REEF_SOURCE_DIR "/resources/examples/vision/mnist_cnn.yaml");
  window.tabs()->setCurrentWidget(window.designer());
  QTest::qWait(200);
  save(&window, "studio-designer" + suffix + ".png");

  window.runsView()->table()->selectRow(0);
  window.tabs()->setCurrentWidget(window.logs());
  QTest::qWait(300);
  save(&window, "studio-logs" + suffix + ".png");
  window.tabs()->setCurrentWidget(window.details());
  const QList<QPair<int, QString>> details = {{0, "overview"}, {5, "confusion-matrix"}, {6, "predictions"}};
  for (const auto& [index, name] : details) {
    window.details()->tabs()->setCurrentIndex(index);
    QTest::qWait(300);
    save(&window, "studio-" + name + suffix + ".png");
  }
  QVERIFY(window.details()->predictions()->count() >= 24);  // examples of the test split, wrong ones first
  window.tabs()->setCurrentWidget(window.deploy());
  QTest::qWait(200);
  save(&window, "studio-deploy" + suffix + ".png");
  window.tabs()->setCurrentWidget(window.deploy()->playground());
  QTest::qWait(200);
  save(&window, "studio-playground" + suffix + ".png");
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
    window.resize(1600, 1000);
    QVERIFY(window.openWorkspace(dir.path()));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QTRY_COMPARE_WITH_TIMEOUT(window.runsView()->model()->rowCount(), 2, 10000);
    deployFirstRun(window, dir.path());
    for (const QSize size : {QSize(1600, 1000), QSize(1366, 768)}) {
      window.resize(size);
      QTRY_COMPARE(window.size(), size);
      everyView(window, size == QSize(1600, 1000) ? QString() : "-1366x768");
    }
  }

  void welcomeOnAnEmptyWorkspace() {
    QTemporaryDir dir;
    MainWindow window(loadCatalog(REEF_BINARY), {}, REEF_BINARY);
    QVERIFY(window.openWorkspace(dir.path()));
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QCOMPARE(window.pages()->currentWidget(), static_cast<QWidget*>(window.welcome()));
    for (const QSize size : {QSize(1600, 1000), QSize(1366, 768)}) {
      window.resize(size);
      QTRY_COMPARE(window.size(), size);
      QTest::qWait(200);
      save(&window, size == QSize(1600, 1000) ? "studio-welcome.png" : "studio-welcome-1366x768.png");
    }
  }
};

QTEST_MAIN(TestScreenshots)
#include "tst_screenshots.moc"

// End to end: a short vision run launched from the designer appears in the runs table at once,
// and its loss series grows in the curve plot's data while it trains.
#include "designer/designer_widget.h"
#include "engine_client.h"
#include "main_window.h"
#include "plots/curve_plot.h"
#include "runs/runs_model.h"
#include "runs/runs_view.h"
#include "storage/run_query.h"
#include "storage/workspace_index.h"
#include "workspace_session.h"

#include <QPushButton>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using namespace reef;
using namespace reef::ui;

class TestStudioE2e : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  void launchFromTheDesignerAndWatchTheLossGrow() {
    QTemporaryDir dir;
    MainWindow window(loadCatalog(REEF_BINARY), {}, REEF_BINARY);
    QVERIFY(window.openWorkspace(dir.path()));
    DesignerWidget* designer = window.designer();
    designer->loadSpecFile(REEF_SOURCE_DIR "/resources/examples/vision/mnist_cnn.yaml");
    QString yaml = designer->yamlText();
    yaml.replace("max_steps: -1", "max_steps: 150");
    yaml.replace("log_interval: 50", "log_interval: 5");
    yaml.replace("val_interval: 0", "val_interval: 75");
    yaml.replace("limit_val_batches: 0", "limit_val_batches: 2");
    yaml.replace("test_at_end: true", "test_at_end: false");
    designer->setYamlText(yaml);
    QVERIFY(designer->isValid());

    QTest::mouseClick(designer->findChild<QPushButton*>("launch"), Qt::LeftButton);
    QCOMPARE(window.runsView()->model()->rowCount(), 1);  // listed before the engine wrote anything
    const qint64 run = window.runsView()->model()->run(0).id;
    QCOMPARE(window.runsView()->selectedRuns(), QList<qint64>{run});

    QTRY_VERIFY_WITH_TIMEOUT(window.curves()->pointCount(run) >= 3, 60000);
    QCOMPARE(window.curves()->metric(), QString("train/loss"));
    const size_t early = window.curves()->pointCount(run);
    QTRY_VERIFY_WITH_TIMEOUT(window.curves()->pointCount(run) > early, 60000);
    QTRY_VERIFY_WITH_TIMEOUT(storage::runDetails(window.session()->index().db(), run)["run"]["status"] == "completed", 90000);
    QTRY_COMPARE_WITH_TIMEOUT(window.curves()->pointCount(run), size_t(30), 5000);  // 150 steps, one point per 5
    QCOMPARE(window.runsView()->model()->data(window.runsView()->model()->index(0, RunsModel::Status), Qt::DisplayRole)
                 .toString(),
             QString("completed"));
  }
};

QTEST_MAIN(TestStudioE2e)
#include "tst_studio_e2e.moc"

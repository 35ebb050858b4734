// End to end: a short vision run launched from the designer appears in the runs table at once and
// its loss series grows in the curve plot's data; the plot exports; the studio closes while the
// run trains on, and a reopened studio catches up on every point exactly once. A spec asking for
// two tasks trains with two local ranks.
#include "backend/cluster/local_backend.h"
#include "backend/protocol/event_log.h"
#include "storage/run_query.h"
#include "storage/workspace_index.h"
#include "ui/designer/designer_widget.h"
#include "ui/engine_client.h"
#include "ui/main_window.h"
#include "ui/plots/curve_dashboard.h"
#include "ui/runs/runs_model.h"
#include "ui/runs/runs_view.h"
#include "ui/workspace_session.h"

#include <QFile>
#include <QPushButton>
#include <QStandardPaths>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

using namespace reef;
using namespace reef::ui;

namespace {

bool finished(const std::string& runDir) {
  for (const auto& e : protocol::readEvents(std::filesystem::path(runDir) / "events.jsonl"))
    if (e.value("t", "") == "run_finished") return true;
  return false;
}

}  // namespace

// Points of train/loss the Curves dashboard holds for the run (0 until its panel exists).
size_t lossPoints(const MainWindow& window, qint64 run) {
  const CurvePlot* loss = window.curves()->panel("train/loss");
  return loss ? loss->pointCount(run) : 0;
}

class TestStudioE2e : public QObject {
  Q_OBJECT
 private slots:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  void launchWatchCloseAndCatchUp() {
    QTemporaryDir dir;
    std::string runDir;
    {
      MainWindow window(loadCatalog(REEF_BINARY), {}, REEF_BINARY);
      QVERIFY(window.openWorkspace(dir.path()));
      DesignerWidget* designer = window.designer();
      designer->loadSpecFile(REEF_SOURCE_DIR "/resources/examples/vision/mnist_cnn.yaml");
      QString yaml = designer->yamlText();
      yaml.replace("max_steps: -1", "max_steps: 400");
      yaml.replace("log_interval: 50", "log_interval: 5");
      yaml.replace("val_interval: 0", "val_interval: 200");
      yaml.replace("limit_val_batches: 0", "limit_val_batches: 2");
      yaml.replace("test_at_end: true", "test_at_end: false");
      designer->setYamlText(yaml);
      QVERIFY(designer->isValid());

      QTest::mouseClick(designer->findChild<QPushButton*>("launch"), Qt::LeftButton);
      QCOMPARE(window.runsView()->model()->rowCount(), 1);  // listed before the engine wrote anything
      const qint64 run = window.runsView()->model()->run(0).id;
      QCOMPARE(window.runsView()->selectedRuns(), QList<qint64>{run});
      runDir = window.runsView()->model()->run(0).path;

      QTRY_VERIFY_WITH_TIMEOUT(lossPoints(window, run) >= 3, 60000);
      const size_t early = lossPoints(window, run);
      QTRY_VERIFY_WITH_TIMEOUT(lossPoints(window, run) > early, 60000);
      // The dashboard shows every metric the run reports, the loss in the train section.
      const auto sections = window.curves()->sections();
      QVERIFY(!sections.isEmpty());
      QCOMPARE(sections.front().name, QString("train"));
      QVERIFY(sections.front().keys.contains("train/loss"));

      CurvePlot* loss = window.curves()->panel("train/loss");
      const QString png = dir.filePath("plot.png"), svg = dir.filePath("plot.svg"), csv = dir.filePath("plot.csv");
      QVERIFY(loss->exportPng(png) && QFile(png).size() > 1000);
      QVERIFY(loss->exportSvg(svg) && QFile(svg).size() > 1000);
      QVERIFY(loss->exportCsv(csv));
      QFile data(csv);
      QVERIFY(data.open(QIODevice::ReadOnly));
      const size_t lines = static_cast<size_t>(data.readAll().count('\n'));
      QVERIFY(lines >= early + 1);
      QVERIFY2(!finished(runDir), "the run must still be training when the studio closes");
    }  // the studio closes; the engine is a process of its own and trains on

    QTRY_VERIFY_WITH_TIMEOUT(finished(runDir), 120000);
    {
      MainWindow again(loadCatalog(REEF_BINARY), {}, REEF_BINARY);
      QVERIFY(again.openWorkspace(dir.path()));
      QTRY_COMPARE_WITH_TIMEOUT(again.runsView()->model()->rowCount(), 1, 10000);
      QTRY_COMPARE_WITH_TIMEOUT(again.runsView()->model()->run(0).status, std::string("completed"), 10000);
      again.runsView()->table()->selectRow(0);
      const qint64 run = again.runsView()->model()->run(0).id;
      QTRY_COMPARE_WITH_TIMEOUT(lossPoints(again, run), size_t(80), 10000);  // 400 steps, one point per 5
      const Json d = storage::runDetails(again.session()->index().db(), run);
      for (const auto& m : d["metrics"])
        if (m["key"] == "train/loss") QCOMPARE(m["count"].get<int>(), 80);  // every point exactly once
    }
  }

  void aSpecAskingForTwoTasksTrainsOnTwoLocalRanks() {
    // "This machine" honours resources.tasks_per_node with `reef launch --nproc N`, so tensor or
    // expert parallelism and FSDP designed in the studio run locally; more than one node is refused.
    QTemporaryDir dir;
    QFile file(REEF_SOURCE_DIR "/resources/examples/vision/mnist_cnn.yaml");
    QVERIFY(file.open(QIODevice::ReadOnly));
    const std::string yaml = file.readAll().toStdString();
    std::vector<std::string> overrides = {"trainer.max_steps=10", "trainer.val_interval=10",
                                          "trainer.limit_val_batches=1", "trainer.test_at_end=false",
                                          "resources.tasks_per_node=2"};
    const cluster::LaunchedRun run =
        cluster::LocalBackend().submit({dir.path().toStdString(), yaml, overrides, REEF_BINARY});
    QTRY_VERIFY_WITH_TIMEOUT(finished(run.runDir.string()), 120000);
    QStringList seen;
    for (const auto& e : protocol::readEvents(run.runDir / "events.jsonl")) {
      if (e.value("t", "") == "run_started") seen << QString("started with %1 ranks").arg(e["world_size"].get<int>());
      if (e.value("t", "") == "run_finished") seen << QString::fromStdString(e.value("status", ""));
    }
    QCOMPARE(seen, (QStringList{"started with 2 ranks", "completed"}));
    overrides.push_back("resources.nodes=2");
    try {
      cluster::LocalBackend().submit({dir.path().toStdString(), yaml, overrides, REEF_BINARY});
      QFAIL("a two-node run was started on this machine");
    } catch (const std::runtime_error& e) {
      QVERIFY2(QString(e.what()).contains("uses one node: submit it to a cluster"), e.what());
    }
  }
};

QTEST_MAIN(TestStudioE2e)
#include "tst_studio_e2e.moc"

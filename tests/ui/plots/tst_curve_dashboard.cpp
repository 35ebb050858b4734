// The Curves dashboard over real run directories indexed by the real SQLite index: a panel per
// metric in sections by prefix, search, pin/hide/move/collapse kept in the workspace's
// dashboard.json, and the zoom, hover step, smoothing and x axis shared by every panel.
#include "tests/ui/studio_fixture.h"

#include "storage/workspace_index.h"
#include "ui/plots/curve_dashboard.h"
#include "ui/workspace_session.h"

#include <qcustomplot.h>
#include <QLabel>
#include <QLineEdit>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QToolButton>
#include <QtTest>

using namespace reef;
using namespace reef::ui;

namespace {

// Metrics beyond the fixture's train/loss and val/acc, as the engine reports them.
void addMetrics(const std::filesystem::path& run, int steps) {
  std::string lines;
  for (int s = 1; s <= steps; ++s)
    lines += "{\"v\":1,\"t\":\"metric\",\"time\":" + std::to_string(1.8e9 + s) + ",\"step\":" + std::to_string(s) +
             ",\"values\":{\"train/lr\":0.001,\"val/loss\":" + std::to_string(3.0 / s) +
             ",\"perf/samples_per_s\":900,\"loss_scale\":1}}\n";
  lines += "{\"v\":1,\"t\":\"system\",\"time\":1.8e9,\"step\":10,\"cpu_percent\":55,\"mem_used_percent\":40}\n";
  test::appendEvents(run, lines);
}

QStringList sectionNames(const CurveDashboard& d) {
  QStringList out;
  for (const auto& s : d.sections()) out << s.name;
  return out;
}

}  // namespace

class TestCurveDashboard : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QList<qint64> runs_;

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    const std::filesystem::path ws = dir_.path().toStdString();
    addMetrics(test::writeRun(ws, "run-a", "alpha", 0.001, 0.9, 40), 40);
    addMetrics(test::writeRun(ws, "run-b", "beta", 0.002, 0.8, 30), 30);
    test::writeRun(ws, "run-c", "gamma", 0.001, 0, 0);  // ended before its first step
    storage::WorkspaceIndex index(ws);
    index.sync();
    runs_ = {index.resolveRun("run-a"), index.resolveRun("run-b")};
  }

  void everyMetricHasAPanelInItsSection() {
    WorkspaceSession session(dir_.path(), nullptr, 3600 * 1000);
    CurveDashboard dashboard(session);
    dashboard.resize(1200, 800);
    dashboard.show();
    QVERIFY(dashboard.findChild<QLabel*>("dashboardEmpty")->isVisible());  // nothing selected yet
    dashboard.setRuns(runs_);
    QVERIFY(!dashboard.findChild<QLabel*>("dashboardEmpty")->isVisible());
    QCOMPARE(sectionNames(dashboard), QStringList({"train", "val", "perf", "system", "other"}));
    QCOMPARE(dashboard.sections()[0].keys, QStringList({"train/loss", "train/lr"}));
    QCOMPARE(dashboard.panel("train/loss")->pointCount(runs_[0]), size_t(40));
    QCOMPARE(dashboard.panel("train/loss")->pointCount(runs_[1]), size_t(30));
    QCOMPARE(dashboard.panel("system/cpu_percent")->pointCount(runs_[0]), size_t(1));
    QVERIFY(dashboard.panel("val/loss")->isVisible());
    QVERIFY(!dashboard.panel("no/such"));

    dashboard.findChild<QLineEdit*>("panelSearch")->setText("loss");
    QCOMPARE(sectionNames(dashboard), QStringList({"train", "val", "other"}));
    QVERIFY(!dashboard.panel("val/acc")->isVisible());
    dashboard.setFilter("nothing matches this");
    QVERIFY(dashboard.findChild<QLabel*>("dashboardEmpty")->text().contains("nothing matches this"));
    dashboard.setFilter({});
    QCOMPARE(dashboard.sections().size(), 5);
  }

  // A run without metrics, selected, is said to have none (and where to look), not to be unselected.
  void aRunWithoutMetricsSaysSo() {
    WorkspaceSession session(dir_.path(), nullptr, 3600 * 1000);
    CurveDashboard dashboard(session);
    dashboard.show();
    const QLabel* empty = dashboard.findChild<QLabel*>("dashboardEmpty");
    QVERIFY(empty->text().startsWith("Select runs"));
    const qint64 gamma = session.index().resolveRun("run-c");
    QVERIFY(gamma != 0);
    dashboard.setRuns({gamma});
    QVERIFY2(empty->text().contains("no metrics") && empty->text().contains("Logs"), qPrintable(empty->text()));
    QVERIFY(empty->isVisible());
    dashboard.setRuns(runs_);
    QVERIFY(!empty->isVisible());
    dashboard.setRuns({});
    QVERIFY(empty->text().startsWith("Select runs"));
  }

  void pinHideMoveAndCollapseAreKeptPerWorkspace() {
    {
      WorkspaceSession session(dir_.path(), nullptr, 3600 * 1000);
      CurveDashboard dashboard(session);
      dashboard.setRuns(runs_);
      dashboard.setPinned("val/acc", true);
      dashboard.setHidden("loss_scale", true);
      dashboard.movePanel("train/lr", -1);
      dashboard.setCollapsed("perf", true);
      QCOMPARE(dashboard.sections()[0].name, QString("pinned"));
      QVERIFY(!dashboard.panel("loss_scale")->isVisible());
      QVERIFY(!dashboard.panel("perf/samples_per_s")->isVisible());  // collapsed
      QCOMPARE(dashboard.findChild<QToolButton*>("hiddenPanels")->text(), QString("Hidden (1)"));
    }
    QVERIFY(QFile::exists(dir_.filePath("dashboard.json")));
    WorkspaceSession session(dir_.path(), nullptr, 3600 * 1000);
    CurveDashboard again(session);
    again.setRuns(runs_);
    QCOMPARE(sectionNames(again), QStringList({"pinned", "train", "val", "perf", "system"}));
    QCOMPARE(again.sections()[0].keys, QStringList({"val/acc"}));
    QCOMPARE(again.sections()[1].keys, QStringList({"train/lr", "train/loss"}));
    QVERIFY(again.layout().collapsed.contains("perf"));
    again.setHidden("loss_scale", false);
    again.setPinned("val/acc", false);
    again.setCollapsed("perf", false);
    QFile::remove(dir_.filePath("dashboard.json"));
  }

  void zoomHoverSmoothingAndXAxisAreShared() {
    WorkspaceSession session(dir_.path(), nullptr, 3600 * 1000);
    CurveDashboard dashboard(session);
    dashboard.resize(1200, 800);
    dashboard.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dashboard));
    dashboard.setRuns(runs_);
    CurvePlot* loss = dashboard.panel("train/loss");
    CurvePlot* acc = dashboard.panel("val/acc");
    loss->plot()->xAxis->setRange(5, 15);  // as a drag or a wheel zoom does
    QCOMPARE(acc->plot()->xAxis->range().lower, 5.0);
    QCOMPARE(acc->plot()->xAxis->range().upper, 15.0);
    dashboard.zoom(0.5);  // View > Zoom in: every panel, about its centre
    QCOMPARE(acc->plot()->xAxis->range().lower, 7.5);
    QCOMPARE(loss->plot()->xAxis->range().upper, 12.5);
    loss->plot()->xAxis->setRange(5, 15);

    QCPAbstractItem* cursor = acc->plot()->item(0);
    QVERIFY(!cursor->visible());
    QTest::mouseMove(loss->plot(), loss->plot()->axisRect()->center());
    QTRY_VERIFY(cursor->visible());
    auto* line = qobject_cast<QCPItemStraightLine*>(cursor);
    QVERIFY(std::abs(line->point1->coords().x() - 10.0) < 1.0);  // the step under the mouse

    dashboard.setXAxis(CurvePlot::XAxis::WallTime);
    QCOMPARE(acc->plot()->xAxis->label(), QString("wall time"));
    dashboard.setSmoothing(0);
    QCOMPARE(loss->plot()->graph(2)->dataCount(), loss->plot()->graph(1)->dataCount());  // raw drawn as is
    dashboard.resetView();
    QVERIFY(acc->plot()->xAxis->range().upper > 1.8e9);
  }
};

QTEST_MAIN(TestCurveDashboard)
#include "tst_curve_dashboard.moc"

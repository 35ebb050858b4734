// The runs table's item model over the run index: rows, columns from chosen summaries, sorting
// by the database, filter errors, tags and notes edited in place (and kept in the run folder);
// unnamed runs labelled from their id, running runs' progress, columns shown from the header menu.
#include "storage/annotations.h"
#include "storage/run_label.h"
#include "storage/workspace_index.h"
#include "tests/ui/studio_fixture.h"
#include "ui/runs/progress_delegate.h"
#include "ui/runs/runs_model.h"
#include "ui/runs/runs_view.h"
#include "ui/workspace_session.h"

#include <QFont>
#include <QStandardPaths>
#include <QTableView>

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace reef;
using namespace reef::ui;

class TestRunsModel : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::filesystem::path ws_;

 private slots:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    ws_ = dir_.path().toStdString();
    test::writeRun(ws_, "run-a", "alpha", 1e-3, 0.90);
    test::writeRun(ws_, "run-b", "beta", 5e-4, 0.99);
    test::writeRun(ws_, "run-c", "gamma", 2e-3, 0.95);
  }

  void rowsColumnsAndSorting() {
    storage::WorkspaceIndex index(ws_);
    index.sync();
    RunsModel model(index);
    QCOMPARE(model.rowCount(), 3);
    model.setMetricColumns({"val/acc.best", "optim.lr"});
    QCOMPARE(model.columnCount(), RunsModel::FirstMetric + 2 + 2);
    QCOMPARE(model.headerData(RunsModel::FirstMetric, Qt::Horizontal, Qt::DisplayRole).toString(),
             QString("val/acc.best"));
    model.sort(RunsModel::FirstMetric, Qt::DescendingOrder);
    QCOMPARE(model.data(model.index(0, RunsModel::Name), Qt::DisplayRole).toString(), QString("beta"));
    QCOMPARE(model.data(model.index(0, RunsModel::FirstMetric), Qt::DisplayRole).toString(), QString("0.99"));
    model.sort(RunsModel::FirstMetric + 1, Qt::AscendingOrder);  // by optim.lr
    QCOMPARE(model.data(model.index(0, RunsModel::Name), Qt::DisplayRole).toString(), QString("beta"));
    QCOMPARE(model.data(model.index(2, RunsModel::Name), Qt::DisplayRole).toString(), QString("gamma"));
    QCOMPARE(model.data(model.index(0, RunsModel::Status), Qt::DisplayRole).toString(), QString("completed"));
    QVERIFY(!model.data(model.index(0, RunsModel::Status), Qt::DecorationRole).value<QIcon>().isNull());
    QCOMPARE(model.data(model.index(0, RunsModel::Step), Qt::DisplayRole).toString(), QString("50/50"));
  }

  void filterUsesStorageSyntaxAndReportsColumns() {
    storage::WorkspaceIndex index(ws_);
    RunsModel model(index);
    model.setFilter("val/acc.max > 0.94 and optim.lr > 6e-4");
    QCOMPARE(model.rowCount(), 1);
    QCOMPARE(model.run(0).name, std::string("gamma"));
    try {
      model.setFilter("val/acc.max >");
      QFAIL("expected a filter error");
    } catch (const storage::FilterError& e) {
      QCOMPARE(e.column(), size_t(14));
    }
    QCOMPARE(model.rowCount(), 1);  // the last good filter stays
  }

  void tagsAndNotesAreEditableInPlace() {
    storage::WorkspaceIndex index(ws_);
    RunsModel model(index);
    model.setFilter("name = alpha");
    const int tags = model.columnCount() - 2, notes = model.columnCount() - 1;
    QVERIFY(model.flags(model.index(0, tags)) & Qt::ItemIsEditable);
    QVERIFY(!(model.flags(model.index(0, RunsModel::Name)) & Qt::ItemIsEditable));
    QVERIFY(model.setData(model.index(0, tags), "baseline, keep", Qt::EditRole));
    QCOMPARE(model.data(model.index(0, tags), Qt::DisplayRole).toString(), QString("baseline, keep"));
    QVERIFY(model.setData(model.index(0, tags), "keep", Qt::EditRole));
    QVERIFY(model.setData(model.index(0, notes), "lr too high?", Qt::EditRole));
    QCOMPARE(model.data(model.index(0, notes), Qt::DisplayRole).toString(), QString("lr too high?"));
    const auto a = storage::readAnnotations(ws_ / "runs" / "run-a");
    QCOMPARE(a.tags, std::vector<std::string>{"keep"});
    QCOMPARE(a.notes.at(0).text, std::string("lr too high?"));
  }

  void unnamedRunsGetALabelAndRunningRunsProgress() {
    QTemporaryDir other;
    const std::filesystem::path ws = other.path().toStdString();
    test::writeRun(ws, "20261202-101010-5f3a9c", "\"\"", 1e-3, 0.9);
    const auto running = ws / "runs" / "20261202-111111-0b1c2d";
    std::filesystem::create_directories(running);
    std::ofstream(running / "spec.yaml") << "model: {collection: vision, arch: cnn}\nexp: {name: live}\n";
    test::appendEvents(running,
                       "{\"v\":1,\"t\":\"run_started\",\"time\":1.9e9,\"total_steps\":200,\"pid\":" +
                           std::to_string(QCoreApplication::applicationPid()) +
                           "}\n{\"v\":1,\"t\":\"metric\",\"time\":1.9e9,\"step\":50,\"values\":{\"train/loss\":1}}\n");
    storage::WorkspaceIndex index(ws);
    index.sync();
    RunsModel model(index);
    model.setFilter("name = live");
    QCOMPARE(model.data(model.index(0, RunsModel::Step), ProgressDelegate::kProgressRole).toDouble(), 0.25);
    QCOMPARE(model.data(model.index(0, RunsModel::Name), Qt::DisplayRole).toString(), QString("live"));
    model.setFilter("status = completed");
    const QString label = model.data(model.index(0, RunsModel::Name), Qt::DisplayRole).toString();
    QCOMPARE(label.toStdString(), storage::runLabel("", "20261202-101010-5f3a9c"));
    QVERIFY2(label.count(QChar('-')) == 2 && label.endsWith("-3a9c"), qPrintable(label));
    QCOMPARE(storage::runLabel("", "20261202-101010-5f3a9c"), storage::runLabel("", "20261202-101010-5f3a9c"));
    QVERIFY(storage::runLabel("", "20261202-101010-5f3a9c") != storage::runLabel("", "20261202-101011-5f3a9d"));
    QVERIFY(model.data(model.index(0, RunsModel::Name), Qt::FontRole).value<QFont>().italic());
    QVERIFY(!model.data(model.index(0, RunsModel::Step), ProgressDelegate::kProgressRole).isValid());  // finished

    // The run id column starts hidden; shown from the header menu, it stays shown in a new view.
    WorkspaceSession session(other.path());
    {
      RunsView view(session, {});
      QVERIFY(!view.columnShown("Run") && view.columnShown("Name") && view.columnShown("Step"));
      view.setColumnShown("Run", true);
      QVERIFY(view.columnShown("Run"));
      QVERIFY(view.table()->columnWidth(RunsModel::Name) <= 240);
    }
    RunsView again(session, {});
    QVERIFY(again.columnShown("Run"));
    again.setColumnShown("Run", false);
  }
};

QTEST_MAIN(TestRunsModel)
#include "tst_runs_model.moc"

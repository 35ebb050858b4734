// The runs table's item model over the run index: rows, columns from chosen summaries, sorting
// by the database, filter errors, tags and notes edited in place (and kept in the run folder).
#include "storage/annotations.h"
#include "storage/workspace_index.h"
#include "tests/ui/studio_fixture.h"
#include "ui/runs/runs_model.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace reef;
using namespace reef::ui;

class TestRunsModel : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::filesystem::path ws_;

 private slots:
  void initTestCase() {
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
};

QTEST_MAIN(TestRunsModel)
#include "tst_runs_model.moc"

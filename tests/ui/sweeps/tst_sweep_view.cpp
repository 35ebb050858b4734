// The Sweeps tab, offscreen, on a sweep folder written the way the controller writes it: the
// trials table, the summary with the best trial, parallel coordinates whose brush filters the
// table, importance, best against compute, slices on a log scale, clone best (without its sweep
// label), the buttons of a finished sweep, a new sweep's preview through the real `reef`, and the
// chart data on their own.
#include "backend/protocol/spec.h"
#include "backend/protocol/yaml_json.h"
#include "tests/ui/studio_fixture.h"
#include "ui/engine_client.h"
#include "ui/sweeps/parallel_coordinates_plot.h"
#include "ui/sweeps/sweep_charts.h"
#include "ui/sweeps/sweep_dialog.h"
#include "ui/sweeps/sweep_draft.h"
#include "ui/sweeps/sweep_view.h"

#include <QComboBox>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <qcustomplot.h>

using namespace reef;
using namespace reef::ui;
namespace fs = std::filesystem;

namespace {

const char* kSweep =
    "name: lr-search\nbase: {model: {collection: vision, arch: cnn}}\nmethod: random\nrun_cap: 6\n"
    "metric: {name: val/acc, goal: maximize}\nparameters:\n"
    "  optim.lr: {distribution: log_uniform, min: 1.0e-4, max: 0.1}\n"
    "  optim.name: [sgd, adamw]\n"
    "  optim.momentum: {min: 0.5, max: 0.9, when: {optim.name: sgd}}\n"
    "early_terminate: {type: asha, eta: 2, min_steps: 10}\n";

// Six trials: four completed (accuracy grows with lr), two stopped early.
sweep::SweepStore writeSweep(const fs::path& workspace) {
  const sweep::SweepSpec spec = sweep::parseSweep(protocol::parseYaml(kSweep, "s.yaml"), "s.yaml", ".");
  const sweep::SweepStore store = sweep::SweepStore::create(workspace, spec, "local", 2);
  sweep::SweepState state = store.load();
  const double lrs[] = {1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2};
  for (int i = 0; i < 6; ++i) {
    sweep::Trial t;
    t.number = i;
    t.params = {{"optim.lr", lrs[i]}, {"optim.name", i % 2 ? "adamw" : "sgd"}};
    if (i % 2 == 0) t.params["optim.momentum"] = 0.5 + 0.05 * i;
    const bool stopped = i < 2;
    t.status = stopped ? sweep::TrialStatus::Stopped : sweep::TrialStatus::Completed;
    t.steps = stopped ? 20 : 50;
    for (int64_t s = 10; s <= t.steps; s += 10) t.reports[s] = 0.5 + 0.08 * i * static_cast<double>(s) / 50;
    t.value = t.reports.rbegin()->second;
    t.runDir = test::writeRun(workspace, "run-" + std::to_string(i), "lr-search-t" + std::to_string(i), lrs[i],
                              *t.value, static_cast<int>(t.steps))
                   .string();
    std::ofstream(fs::path(t.runDir) / "spec.yaml", std::ios::app)
        << "# written by the sweep\n";  // (the label below is what the controller adds)
    t.endedAt = 100 + i;
    state.trials.push_back(t);
  }
  state.status = "completed";
  state.message = "6 trials";
  store.save(state);
  // The best trial's spec carries its sweep label, as every trial's does.
  std::ofstream(fs::path(state.trials[5].runDir) / "spec.yaml")
      << "model: {collection: vision, arch: cnn}\noptim: {name: adamw, lr: 0.03}\nexp: {name: t5, sweep: " << store.id()
      << "/5}\n";
  return store;
}

}  // namespace

class TestSweepView : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

 private Q_SLOTS:
  void showsTheTrialsAndTheBest() {
    const fs::path workspace = dir_.path().toStdString() + "/ws";
    const sweep::SweepStore store = writeSweep(workspace);
    SweepView view(QString::fromStdString(workspace.string()), nullptr, QStringLiteral(REEF_BINARY));
    view.resize(1400, 900);
    QCOMPARE(view.sweeps()->count(), 1);
    QCOMPARE(view.sweeps()->currentData().toString().toStdString(), store.id());
    QCOMPARE(view.trials()->rowCount(), 6);
    QVERIFY2(view.summary()->text().contains("best val/acc 0.9 (trial 5)"), qPrintable(view.summary()->text()));
    QVERIFY(view.summary()->text().contains("2 stopped early"));
    QVERIFY(!view.stopButton()->isEnabled());  // a finished sweep
    QVERIFY(!view.resumeButton()->isEnabled());
    QVERIFY(view.cloneBestButton()->isEnabled());
    QCOMPARE(view.curves()->graphCount(), 6);
    QCOMPARE(view.parallel()->data().axes.size(), size_t{4});  // 3 parameters + the metric
    QCOMPARE(view.parallel()->data().lines.size(), size_t{6});
    QVERIFY(view.parallel()->data().axes[0].log);
    QVERIFY(view.importance()->plottableCount() == 1);
  }

  void brushingTheMetricAxisFiltersTheTable() {
    const fs::path workspace = dir_.path().toStdString() + "/ws";
    SweepView view(QString::fromStdString(workspace.string()), nullptr, QStringLiteral(REEF_BINARY));
    QSignalSpy selected(view.parallel(), &ParallelCoordinatesPlot::selectionChanged);
    view.parallel()->setBrush(3, 0.75, 1.0);  // the best quarter of val/acc
    QCOMPARE(selected.count(), 1);
    const QList<int> trials = selected.at(0).at(0).value<QList<int>>();
    QVERIFY2(!trials.isEmpty() && trials.contains(5) && !trials.contains(0),
             qPrintable(QString::number(trials.size())));
    int shown = 0;
    for (int row = 0; row < view.trials()->rowCount(); ++row) shown += !view.trials()->isRowHidden(row);
    QCOMPARE(shown, trials.size());
    view.parallel()->clearBrushes();
    for (int row = 0; row < view.trials()->rowCount(); ++row) QVERIFY(!view.trials()->isRowHidden(row));
  }

  void cloneBestGivesTheSpecWithoutItsSweepLabel() {
    const fs::path workspace = dir_.path().toStdString() + "/ws";
    SweepView view(QString::fromStdString(workspace.string()), nullptr, QStringLiteral(REEF_BINARY));
    QSignalSpy cloned(&view, &SweepView::cloneRequested);
    view.cloneBestButton()->click();
    QCOMPARE(cloned.count(), 1);
    const Json spec = Json::parse(cloned.at(0).at(0).toString().toStdString());
    QCOMPARE(spec["optim"]["lr"].get<double>(), 0.03);
    QVERIFY(!spec["exp"].contains("sweep"));
    QVERIFY(cloned.at(0).at(1).toString().contains("trial 5"));
  }

  void slicesUseTheParametersScale() {
    const fs::path workspace = dir_.path().toStdString() + "/ws";
    SweepView view(QString::fromStdString(workspace.string()), nullptr, QStringLiteral(REEF_BINARY));
    view.sliceParameter()->setCurrentText("optim.lr");
    int points = 0;
    for (int g = 0; g < view.slicePlot()->graphCount(); ++g) points += view.slicePlot()->graph(g)->dataCount();
    QCOMPARE(points, 6);
    QVERIFY(view.slicePlot()->xAxis->label().contains("log scale"));
  }

  void chartDataFromTheState() {
    const fs::path workspace = dir_.path().toStdString() + "/ws";
    const auto store = sweep::SweepStore::open(workspace, sweep::SweepStore::list(workspace).at(0));
    const auto spec = store.spec();
    const auto state = store.load();
    const auto best = bestAgainstCompute(spec, state);
    QCOMPARE(best.size(), size_t{6});
    QVERIFY(std::isnan(best[0].best) && std::isnan(best[1].best));  // stopped trials complete nothing
    QCOMPARE(best[5].compute, 20.0 + 20 + 50 * 4);
    QCOMPARE(best[5].best, state.trials[5].value.value());
    const auto points = slice(spec, state, "optim.momentum");
    QCOMPARE(points.size(), size_t{3});  // only the sgd trials have it
    const auto lr = slice(spec, state, "optim.lr");
    QVERIFY(std::abs(lr[0].x - 0.0) < 1e-9 && std::abs(lr[2].x - 1.0 / 3) < 1e-9);  // 1e-4 .. 1e-1, log
  }

  // The designer's sweep dialog on the MNIST example with the engine's catalog: the keys offered,
  // a log range and a choice ticked, the engine's preview, a range the catalog refuses named, and
  // Start leaving a sweep the controller runs.
  void theSweepDialogTurnsFieldsIntoRanges() {
    const protocol::Catalog catalog = loadCatalog(QStringLiteral(REEF_BINARY));
    const Json spec = protocol::resolveSpec(
        protocol::loadSpecFile(std::string(REEF_SOURCE_DIR) + "/resources/examples/vision/mnist_cnn.yaml"), catalog,
        "x");
    const auto offered = sweepableParameters(catalog, spec);
    auto find = [&](const std::string& key) {
      for (const auto& d : offered)
        if (d.key == key) return d;
      return SweepDraftParameter{};
    };
    QVERIFY(find("optim.lr").log && find("optim.lr").min > 0 && find("optim.lr").max <= 10);
    QCOMPARE(find("optim.name").values.size(), size_t{3});
    QVERIFY(find("model.width").param != nullptr);

    const QString workspace = dir_.path() + "/ws-dialog";
    SweepDialog dialog(catalog, spec, workspace, QStringLiteral(REEF_BINARY), {});
    QTableWidget* table = dialog.parameters();
    auto rowOf = [&](const QString& key) {
      for (int r = 0; r < table->rowCount(); ++r)
        if (table->item(r, 1)->text() == key) return r;
      return -1;
    };
    table->item(rowOf("optim.lr"), 0)->setCheckState(Qt::Checked);
    table->item(rowOf("optim.name"), 0)->setCheckState(Qt::Checked);
    table->item(rowOf("optim.name"), 6)->setText("adamw, sgd");
    table->item(rowOf("trainer.max_steps"), 0)->setCheckState(Qt::Checked);
    table->item(rowOf("trainer.max_steps"), 6)->setText("60");
    dialog.runCap()->setValue(3);
    const Json doc = dialog.document();
    QCOMPARE(doc["parameters"]["optim.lr"]["distribution"].get<std::string>(), std::string("log_uniform"));
    QCOMPARE(doc["parameters"]["optim.name"]["values"].size(), size_t{2});
    QVERIFY(dialog.preview());
    QVERIFY2(dialog.previewText()->toPlainText().contains("3, 2 at once, 60 steps each"),
             qPrintable(dialog.previewText()->toPlainText()));
    table->item(rowOf("optim.lr"), 4)->setText("50");  // above lr's maximum
    QVERIFY(!dialog.preview());
    QVERIFY2(dialog.previewText()->toPlainText().contains("parameters.optim.lr.max"),
             qPrintable(dialog.previewText()->toPlainText()));
  }

  void aNewSweepsPreviewComesFromTheEngine() {
    const fs::path workspace = dir_.path().toStdString() + "/ws";
    SweepView view(QString::fromStdString(workspace.string()), nullptr, QStringLiteral(REEF_BINARY));
    const QString bad = dir_.path() + "/bad.yaml";
    std::ofstream(bad.toStdString()) << "base: {model: {collection: vision, arch: cnn}}\nrun_cap: 2\n"
                                        "parameters: {optim.lr: {distribution: log_uniform, min: 0, max: 1}}\n";
    bool ok = true;
    QString text = view.preview(bad, ok);
    QVERIFY(!ok);
    QVERIFY2(text.contains("parameters.optim.lr.min"), qPrintable(text));
    const QString good = dir_.path() + "/good.yaml";
    std::ofstream(good.toStdString())
        << "base: {model: {collection: vision, arch: cnn}, trainer: {max_steps: 90}}\n"
           "run_cap: 4\nparameters: {optim.lr: {distribution: log_uniform, min: 1.0e-4, max: 1}}\n"
           "early_terminate: {type: asha, eta: 3, min_steps: 10}\n";
    text = view.preview(good, ok);
    QVERIFY2(ok && text.contains("rungs at steps 10 30") && text.contains("360 steps"), qPrintable(text));
  }
};

QTEST_MAIN(TestSweepView)
#include "tst_sweep_view.moc"

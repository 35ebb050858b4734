#include "ui/sweeps/sweep_view.h"

#include "backend/protocol/spec.h"
#include "backend/sweep/importance.h"
#include "ui/deploy/export_dialog.h"
#include "ui/engine_client.h"
#include "ui/sweeps/parallel_coordinates_plot.h"
#include "ui/sweeps/sweep_charts.h"
#include "ui/sweeps/sweep_process.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

#include <qcustomplot.h>

#include <cmath>
#include <filesystem>

namespace fs = std::filesystem;

namespace reef::ui {

namespace {

QString idOf(const QComboBox* box) { return box->currentData().toString(); }

QCustomPlot* newPlot(const QString& x, const QString& y) {
  auto* plot = new QCustomPlot;
  plot->xAxis->setLabel(x);
  plot->yAxis->setLabel(y);
  plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  return plot;
}

QSharedPointer<QCPAxisTickerText> unitTicker(const sweep::Dimension& d) {
  QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
  for (const auto& [u, label] : unitTicks(d, 5)) ticker->addTick(u, label);
  return ticker;
}

}  // namespace

SweepView::SweepView(QString workspace, const protocol::Catalog* catalog, QString reefBinary, QWidget* parent)
    : QWidget(parent), workspace_(std::move(workspace)), reef_(std::move(reefBinary)), catalog_(catalog) {
  auto* layout = new QVBoxLayout(this);
  auto* bar = new QHBoxLayout;
  buildToolbar(bar);
  layout->addLayout(bar);
  summary_ = new QLabel(tr("No sweep yet: New sweep... starts one from a sweep file (docs/sweeps.md)."));
  summary_->setWordWrap(true);
  summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(summary_);
  auto* split = new QSplitter(Qt::Vertical);
  trials_ = new QTableWidget;
  trials_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  trials_->setSelectionBehavior(QAbstractItemView::SelectRows);
  trials_->setSortingEnabled(true);
  trials_->verticalHeader()->hide();
  split->addWidget(trials_);
  buildCharts();
  split->addWidget(charts_);
  split->setStretchFactor(1, 2);
  layout->addWidget(split, 1);
  connect(&timer_, &QTimer::timeout, this, [this] {
    if (isVisible()) refresh();  // a hidden tab catches up when shown
  });
  timer_.start(1000);
  refresh();
}

void SweepView::buildToolbar(QHBoxLayout* bar) {
  sweeps_ = new QComboBox;
  sweeps_->setMinimumContentsLength(40);
  new_ = new QPushButton(tr("New sweep..."));
  resume_ = new QPushButton(tr("Resume"));
  stop_ = new QPushButton(tr("Stop"));
  cloneBest_ = new QPushButton(tr("Clone best as run"));
  exportBest_ = new QPushButton(tr("Export best..."));
  bar->addWidget(new QLabel(tr("Sweep:")));
  bar->addWidget(sweeps_, 1);
  for (auto* b : {new_, resume_, stop_, cloneBest_, exportBest_}) bar->addWidget(b);
  connect(sweeps_, &QComboBox::currentIndexChanged, this, [this] {
    loadedAt_ = {};
    highlighted_.clear();
    load();
  });
  connect(new_, &QPushButton::clicked, this, &SweepView::newSweep);
  connect(resume_, &QPushButton::clicked, this, [this] { runController({"resume", idOf(sweeps_)}); });
  connect(stop_, &QPushButton::clicked, this, [this] { runController({"stop", idOf(sweeps_)}); });
  connect(cloneBest_, &QPushButton::clicked, this, &SweepView::cloneBest);
  connect(exportBest_, &QPushButton::clicked, this, &SweepView::exportBest);
}

void SweepView::buildCharts() {
  charts_ = new QTabWidget;
  curves_ = newPlot(tr("step"), tr("metric"));
  parallel_ = new ParallelCoordinatesPlot;
  importance_ = newPlot(tr("importance (share)"), QString());
  best_ = newPlot(tr("compute (steps summed over trials)"), tr("best so far"));
  slice_ = newPlot(QString(), tr("metric"));
  sliceKey_ = new QComboBox;
  auto* slicePage = new QWidget;
  auto* sliceLayout = new QVBoxLayout(slicePage);
  sliceLayout->addWidget(sliceKey_);
  sliceLayout->addWidget(slice_, 1);
  charts_->addTab(curves_, tr("Curves"));
  charts_->addTab(parallel_, tr("Parallel coordinates"));
  charts_->addTab(importance_, tr("Importance"));
  charts_->addTab(best_, tr("Best vs compute"));
  charts_->addTab(slicePage, tr("Slice"));
  connect(parallel_, &ParallelCoordinatesPlot::selectionChanged, this, &SweepView::highlight);
  connect(sliceKey_, &QComboBox::currentIndexChanged, this, &SweepView::drawSlice);
}

void SweepView::refresh() {
  const QString shown = idOf(sweeps_);
  QStringList ids;
  for (const auto& id : sweep::SweepStore::list(workspace_.toStdString())) ids << QString::fromStdString(id);
  QStringList listed;
  for (int i = 0; i < sweeps_->count(); ++i) listed << sweeps_->itemData(i).toString();
  if (ids != listed) {
    const QSignalBlocker block(sweeps_);
    sweeps_->clear();
    for (const auto& id : ids) {
      QString name;
      try {
        name = QString::fromStdString(sweep::SweepStore::open(workspace_.toStdString(), id.toStdString()).spec().name);
      } catch (const std::exception&) {  // a sweep being created
      }
      sweeps_->addItem(name.isEmpty() ? id : name + " — " + id, id);
    }
    const int keep = sweeps_->findData(shown);
    sweeps_->setCurrentIndex(keep >= 0 ? keep : sweeps_->count() - 1);
    loadedAt_ = {};
  }
  load();
}

void SweepView::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  refresh();
}

void SweepView::showSweep(const QString& id) {
  refresh();
  const int index = id.isEmpty() ? sweeps_->count() - 1 : sweeps_->findData(id);
  if (index >= 0) sweeps_->setCurrentIndex(index);
  loadedAt_ = {};
  load();
}

// Reads state.json when it changed since the last read.
void SweepView::load() {
  const QString id = idOf(sweeps_);
  if (id.isEmpty()) {
    for (auto* b : {resume_, stop_, cloneBest_, exportBest_}) b->setEnabled(false);
    return;
  }
  try {
    if (!store_ || store_->id() != id.toStdString()) {
      store_ = sweep::SweepStore::open(workspace_.toStdString(), id.toStdString());
      spec_ = store_->spec();
    }
    const QDateTime modified =
        QFileInfo(QString::fromStdString((store_->root() / "state.json").string())).lastModified();
    if (loadedAt_.isValid() && modified == loadedAt_) return updateButtons();  // (a controller may have ended)
    loadedAt_ = modified;
    state_ = store_->load();
  } catch (const std::exception& e) {
    summary_->setText(tr("Cannot read sweep %1: %2").arg(id, QString::fromStdString(e.what())));
    return;
  }
  fillTable();
  drawCurves();
  parallel_->setData(parallelCoordinates(*spec_, state_));
  drawImportance();
  drawBest();
  drawSlice();
  updateButtons();
}

void SweepView::updateButtons() {
  stop_->setEnabled(state_.status == "running");
  resume_->setEnabled(state_.status != "completed" && !store_->controllerRunning());
  cloneBest_->setEnabled(bestTrial() != nullptr);
  exportBest_->setEnabled(bestTrial() != nullptr);
}

const sweep::Trial* SweepView::bestTrial() const { return state_.best(spec_->metric); }

void SweepView::fillTable() {
  const auto& dims = spec_->space.dimensions();
  QStringList headers{tr("trial"), tr("status"), QString::fromStdString(spec_->metric.name), tr("steps")};
  for (const auto& d : dims) headers << QString::fromStdString(d.key);
  headers << tr("run") << tr("note");
  const QSignalBlocker block(trials_);
  trials_->setSortingEnabled(false);
  trials_->clear();
  trials_->setColumnCount(static_cast<int>(headers.size()));
  trials_->setHorizontalHeaderLabels(headers);
  trials_->setRowCount(static_cast<int>(state_.trials.size()));
  int64_t compute = 0, stopped = 0;
  for (int row = 0; row < static_cast<int>(state_.trials.size()); ++row) {
    const sweep::Trial& t = state_.trials[static_cast<size_t>(row)];
    compute += t.steps;
    stopped += t.status == sweep::TrialStatus::Stopped;
    auto number = [](double v) {
      auto* item = new QTableWidgetItem;
      item->setData(Qt::DisplayRole, v);
      return item;
    };
    trials_->setItem(row, 0, number(t.number));
    auto* status = new QTableWidgetItem(sweep::trialStatusName(t.status));
    status->setForeground(QColor(statusColor(t.status)));
    trials_->setItem(row, 1, status);
    trials_->setItem(row, 2, t.value ? number(*t.value) : new QTableWidgetItem("-"));
    trials_->setItem(row, 3, number(static_cast<double>(t.steps)));
    for (size_t c = 0; c < dims.size(); ++c) {
      const Json v = t.params.value(dims[c].key, Json());
      trials_->setItem(
          row, static_cast<int>(4 + c),
          v.is_number() ? number(v.get<double>()) : new QTableWidgetItem(v.is_null() ? QString() : valueText(v)));
    }
    trials_->setItem(row, static_cast<int>(4 + dims.size()),
                     new QTableWidgetItem(fs::path(t.runDir).filename().c_str()));
    trials_->setItem(row, static_cast<int>(5 + dims.size()), new QTableWidgetItem(QString::fromStdString(t.error)));
  }
  trials_->setSortingEnabled(true);
  trials_->resizeColumnsToContents();
  const sweep::Trial* best = bestTrial();
  summary_->setText(tr("%1 (%2): %3%4 — %5 of %6 trials, %7 stopped early, %8 steps of compute%9")
                        .arg(QString::fromStdString(spec_->name.empty() ? store_->id() : spec_->name),
                             sweep::methodName(spec_->method), QString::fromStdString(state_.status),
                             state_.message.empty() || state_.status == "completed"
                                 ? QString()
                                 : ": " + QString::fromStdString(state_.message))
                        .arg(state_.trials.size())
                        .arg(spec_->runCap)
                        .arg(stopped)
                        .arg(compute)
                        .arg(best ? tr("; best %1 %2 (trial %3)")
                                        .arg(QString::fromStdString(spec_->metric.name))
                                        .arg(*best->value, 0, 'g', 5)
                                        .arg(best->number)
                                  : QString()));
}

void SweepView::drawCurves() {
  curves_->clearGraphs();
  curves_->yAxis->setLabel(QString::fromStdString(spec_->metric.name));
  for (const auto& t : state_.trials) {
    if (t.reports.empty()) continue;
    auto* graph = curves_->addGraph();
    graph->setName(tr("trial %1").arg(t.number));
    graph->setProperty("trial", t.number);
    QVector<double> x, y;
    for (const auto& [step, v] : t.reports)
      if (std::isfinite(v)) x << static_cast<double>(step), y << v;
    graph->setData(x, y, true);
    QColor color(statusColor(t.status));
    if (!highlighted_.isEmpty() && !highlighted_.contains(t.number)) color = QColor(200, 200, 200, 120);
    graph->setPen(QPen(color, highlighted_.contains(t.number) ? 2.0 : 1.2));
  }
  curves_->rescaleAxes();
  curves_->replot();
}

void SweepView::drawImportance() {
  importance_->clearPlottables();
  const auto shares = sweep::parameterImportance(spec_->space, state_.trials);
  QSharedPointer<QCPAxisTickerText> names(new QCPAxisTickerText);
  auto* bars = new QCPBars(importance_->yAxis, importance_->xAxis);
  for (size_t i = 0; i < shares.size(); ++i) {
    bars->addData(static_cast<double>(i), shares[i].importance);
    names->addTick(static_cast<double>(i), QString::fromStdString(shares[i].key));
  }
  importance_->yAxis->setTicker(names);
  importance_->xAxis->setRange(0, 1);
  importance_->yAxis->setRange(-0.6, std::max<double>(1, static_cast<double>(shares.size())) - 0.4);
  importance_->xAxis->setLabel(shares.empty() ? tr("importance: needs 4 completed trials") : tr("importance (share)"));
  importance_->replot();
}

void SweepView::drawBest() {
  best_->clearGraphs();
  auto* graph = best_->addGraph();
  graph->setLineStyle(QCPGraph::lsStepLeft);
  graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 4));
  for (const auto& p : bestAgainstCompute(*spec_, state_))
    if (std::isfinite(p.best)) graph->addData(p.compute, p.best);
  best_->yAxis->setLabel(tr("best %1 so far").arg(QString::fromStdString(spec_->metric.name)));
  best_->rescaleAxes();
  best_->replot();
}

void SweepView::drawSlice() {
  const QString key = sliceKey_->currentText();
  QStringList keys;
  for (const auto& d : spec_->space.dimensions()) keys << QString::fromStdString(d.key);
  if (keys != [this] {
        QStringList shown;
        for (int i = 0; i < sliceKey_->count(); ++i) shown << sliceKey_->itemText(i);
        return shown;
      }()) {
    const QSignalBlocker block(sliceKey_);
    sliceKey_->clear();
    sliceKey_->addItems(keys);
    if (keys.contains(key)) sliceKey_->setCurrentText(key);
  }
  const sweep::Dimension* d = spec_->space.find(sliceKey_->currentText().toStdString());
  slice_->clearGraphs();
  if (!d) return slice_->replot();
  for (auto status : {sweep::TrialStatus::Completed, sweep::TrialStatus::Stopped, sweep::TrialStatus::Running}) {
    auto* graph = slice_->addGraph();
    graph->setLineStyle(QCPGraph::lsNone);
    graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, QColor(statusColor(status)), 7));
    graph->setName(sweep::trialStatusName(status));
    for (const auto& p : slice(*spec_, state_, d->key))
      if (p.status == status || (status == sweep::TrialStatus::Running && p.status == sweep::TrialStatus::Stopping))
        graph->addData(p.x, p.value);
  }
  slice_->xAxis->setTicker(unitTicker(*d));
  slice_->xAxis->setLabel(QString::fromStdString(d->key) + (d->logScale() ? tr(" (log scale)") : QString()));
  slice_->yAxis->setLabel(QString::fromStdString(spec_->metric.name));
  slice_->rescaleAxes();
  slice_->xAxis->setRange(-0.05, 1.05);
  slice_->replot();
}

void SweepView::highlight(const QList<int>& trials) {
  highlighted_ = trials.size() == static_cast<int>(parallel_->data().lines.size()) ? QList<int>() : trials;
  drawCurves();
  for (int row = 0; row < trials_->rowCount(); ++row) {
    const int number = trials_->item(row, 0)->data(Qt::DisplayRole).toInt();
    trials_->setRowHidden(row, !highlighted_.isEmpty() && !highlighted_.contains(number));
  }
}

QString SweepView::preview(const QString& file, bool& ok) const { return previewSweep(reef_, file, workspace_, ok); }

bool SweepView::start(const QString& file) {
  try {
    startSweepProcess(reef_, {file}, workspace_, launchLog(workspace_));
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("New sweep"), QString::fromStdString(e.what()));
    return false;
  }
  return true;
}

void SweepView::newSweep() {
  const QString file =
      QFileDialog::getOpenFileName(this, tr("Sweep file"), workspace_, tr("Sweep files (*.yaml *.yml)"));
  if (file.isEmpty()) return;
  bool ok = false;
  const QString plan = preview(file, ok);
  if (!ok) {
    QMessageBox::warning(this, tr("New sweep"), tr("This sweep file cannot run:\n\n%1").arg(plan));
    return;
  }
  if (QMessageBox::question(this, tr("New sweep"), plan + tr("\nStart it on this machine?")) != QMessageBox::Yes)
    return;
  if (!start(file)) return;
  // The controller creates the sweep's folder within a second or two.
  QTimer::singleShot(1500, this, [this] { showSweep(QString()); });
}

void SweepView::runController(const QStringList& args) {
  if (args.value(1).isEmpty()) return;
  try {
    startSweepProcess(reef_, args, workspace_, workspace_ + "/sweeps/" + args[1] + "/controller.out");
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Sweep"), QString::fromStdString(e.what()));
  }
}

void SweepView::cloneBest() {
  const sweep::Trial* best = bestTrial();
  if (!best) return;
  try {
    Json spec = protocol::loadSpecFile(fs::path(best->runDir) / "spec.yaml");
    if (spec.contains("exp")) spec["exp"].erase("sweep");
    // The controller's share of this machine's threads is not part of the experiment.
    if (spec.contains("trainer") && !spec_->base.contains("/trainer/threads"_json_pointer))
      spec["trainer"].erase("threads");
    emit cloneRequested(QString::fromStdString(spec.dump()),
                        tr("trial %1 of sweep %2").arg(best->number).arg(QString::fromStdString(store_->id())));
  } catch (const std::exception& e) {
    QMessageBox::warning(this, tr("Clone best"), QString::fromStdString(e.what()));
  }
}

void SweepView::exportBest() {
  const sweep::Trial* best = bestTrial();
  if (!best) return;
  QStringList formats{"bundle"};
  try {
    if (const auto* c = capabilitiesOf(catalog_, protocol::loadSpecFile(fs::path(best->runDir) / "spec.yaml"))) {
      formats.clear();
      for (const auto& f : c->exportFormats) formats << QString::fromStdString(f);
    }
  } catch (const std::exception&) {  // the bundle is always possible
  }
  auto* dialog = new ExportDialog(reef_, QString::fromStdString(best->runDir), formats, this);
  dialog->setAttribute(Qt::WA_DeleteOnClose);
  dialog->show();
}

}  // namespace reef::ui

#include "ui/runs/runs_view.h"

#include "backend/cluster/remote_backend.h"
#include "backend/cluster/run_backend.h"
#include "storage/filter.h"
#include "storage/run_query.h"
#include "storage/workspace_index.h"
#include "ui/runs/progress_delegate.h"
#include "ui/runs/runs_model.h"
#include "ui/workspace_session.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QTableView>
#include <QVBoxLayout>

#include <set>

namespace reef::ui {

RunsView::RunsView(WorkspaceSession& session, QString reefBinary, QWidget* parent)
    : QWidget(parent), session_(session), reefBinary_(std::move(reefBinary)) {
  auto* layout = new QVBoxLayout(this);
  filter_ = new QLineEdit(this);
  filter_->setObjectName("filter");
  filter_->setPlaceholderText(tr("Filter, e.g. status = completed and optim.lr < 1e-3 and val/acc.max > 0.98"));
  filter_->setClearButtonEnabled(true);
  columns_ = new QLineEdit(this);
  columns_->setObjectName("columns");
  columns_->setPlaceholderText(tr("Columns, e.g. val/acc.best, train/loss.last, optim.lr"));
  columns_->setText(QSettings().value("runs/columns", "train/loss.last, val/acc.best, val/loss.min").toString());
  message_ = new QLabel(this);
  message_->setStyleSheet("color: #c22;");
  message_->hide();
  layout->addWidget(filter_);
  layout->addWidget(columns_);
  layout->addWidget(message_);

  model_ = new RunsModel(session_.index(), this);
  table_ = new QTableView(this);
  table_->setModel(model_);
  table_->setSortingEnabled(true);
  table_->sortByColumn(RunsModel::Started, Qt::DescendingOrder);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
  table_->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
  table_->verticalHeader()->hide();
  table_->verticalHeader()->setDefaultSectionSize(22);
  table_->horizontalHeader()->setStretchLastSection(true);
  table_->setAlternatingRowColors(true);
  setUpColumns();
  layout->addWidget(table_, 1);

  auto* actions = new QHBoxLayout();
  auto button = [&](const QString& text, const QString& tip, auto slot) {
    auto* b = new QPushButton(text, this);
    b->setToolTip(tip);
    connect(b, &QPushButton::clicked, this, slot);
    actions->addWidget(b);
    return b;
  };
  button(tr("Stop"), tr("Ask the selected runs to checkpoint and stop"), &RunsView::stopSelected);
  button(tr("Resume"), tr("Continue the selected runs from their last checkpoint"), &RunsView::resumeSelected);
  button(tr("Clone && edit"), tr("Open the selected run's spec in the designer"), &RunsView::cloneSelected);
  button(tr("Delete"), tr("Move the selected runs to the workspace's trash"), &RunsView::deleteSelected);
  actions->addStretch(1);
  layout->addLayout(actions);

  connect(filter_, &QLineEdit::editingFinished, this, &RunsView::applyFilter);
  connect(filter_, &QLineEdit::textChanged, this, [this](const QString& t) {
    if (t.isEmpty()) applyFilter();
  });
  connect(columns_, &QLineEdit::editingFinished, this, &RunsView::applyColumns);
  connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
          [this] { emit selectionChanged(selectedRuns()); });
  // Every re-read (sync, sort, filter) resets the model: keep the selection by run id across it.
  connect(model_, &QAbstractItemModel::modelAboutToBeReset, this, [this] { keptSelection_ = selectedRuns(); });
  connect(model_, &QAbstractItemModel::modelReset, this, [this] {
    {
      const QSignalBlocker block(table_->selectionModel());
      for (qint64 id : keptSelection_) {
        const int row = model_->rowOfRun(id);
        if (row >= 0)
          table_->selectionModel()->select(model_->index(row, 0),
                                           QItemSelectionModel::Select | QItemSelectionModel::Rows);
      }
    }
    applyHiddenColumns();
    if (!fitted_ && model_->rowCount() > 0) fitColumns();
    table_->viewport()->update();
    if (selectedRuns() != keptSelection_) emit selectionChanged(selectedRuns());
  });
  applyColumns();
}

QList<qint64> RunsView::selectedRuns() const {
  QList<qint64> ids;
  for (const QModelIndex& i : table_->selectionModel()->selectedRows())
    ids << i.data(RunsModel::kRunIdRole).toLongLong();
  return ids;
}

void RunsView::selectRun(qint64 id) {
  const int row = model_->rowOfRun(id);
  if (row >= 0) table_->selectRow(row);
}

void RunsView::refresh() { model_->refresh(); }

void RunsView::setFilterText(const QString& text) {
  filter_->setText(text);
  applyFilter();
}

QString RunsView::filterError() const { return message_->isVisible() ? message_->text() : QString(); }

void RunsView::applyFilter() {
  try {
    model_->setFilter(filter_->text());
    message_->hide();
    filter_->setStyleSheet({});
  } catch (const storage::FilterError& e) {
    message_->setText(QString::fromStdString(e.what()));
    message_->show();
    filter_->setStyleSheet("border: 1px solid #d33;");
    filter_->setCursorPosition(static_cast<int>(e.column()) - 1);
  }
}

void RunsView::applyColumns() {
  QStringList fields;
  for (const QString& f : columns_->text().split(',', Qt::SkipEmptyParts))
    if (!f.trimmed().isEmpty()) fields << f.trimmed();
  try {
    model_->setMetricColumns(fields);
    QSettings().setValue("runs/columns", fields.join(", "));
    message_->hide();
    fitColumns();
  } catch (const storage::FilterError& e) {
    message_->setText(tr("Columns: ") + QString::fromStdString(e.what()));
    message_->show();
  }
}

// Running runs show a progress bar; the header's context menu shows and hides columns (by name,
// kept in QSettings); the run id, start time and place are hidden at first: the name's label
// ends with the id's last characters, and the panel fits a 1366-pixel screen.
void RunsView::setUpColumns() {
  table_->setItemDelegateForColumn(RunsModel::Step, new ProgressDelegate(table_));
  hiddenColumns_ = QSettings().value("runs/hidden", QStringList{"Run", "Started", "Where"}).toStringList();
  QHeaderView* header = table_->horizontalHeader();
  header->setContextMenuPolicy(Qt::CustomContextMenu);
  connect(header, &QHeaderView::customContextMenuRequested, this, [this, header](const QPoint& at) {
    QMenu menu(this);
    for (int c = 0; c < model_->columnCount(); ++c) {
      const QString name = model_->headerData(c, Qt::Horizontal, Qt::DisplayRole).toString();
      QAction* action = menu.addAction(name);
      action->setCheckable(true);
      action->setChecked(!table_->isColumnHidden(c));
      connect(action, &QAction::toggled, this, [this, name](bool shown) { setColumnShown(name, shown); });
    }
    menu.exec(header->mapToGlobal(at));
  });
}

void RunsView::setColumnShown(const QString& name, bool shown) {
  hiddenColumns_.removeAll(name);
  if (!shown) hiddenColumns_ << name;
  QSettings().setValue("runs/hidden", hiddenColumns_);
  applyHiddenColumns();
  fitColumns();
}

bool RunsView::columnShown(const QString& name) const {
  for (int c = 0; c < model_->columnCount(); ++c)
    if (model_->headerData(c, Qt::Horizontal, Qt::DisplayRole).toString() == name) return !table_->isColumnHidden(c);
  return false;
}

void RunsView::applyHiddenColumns() {
  for (int c = 0; c < model_->columnCount(); ++c)
    table_->setColumnHidden(c,
                            hiddenColumns_.contains(model_->headerData(c, Qt::Horizontal, Qt::DisplayRole).toString()));
}

// Columns as wide as their contents (the first rows), within reason; once, not on every update.
void RunsView::fitColumns() {
  constexpr int kWidest = 240;
  table_->resizeColumnsToContents();
  for (int c = 0; c < model_->columnCount(); ++c) table_->setColumnWidth(c, std::min(table_->columnWidth(c), kWidest));
  // Values that change after the fit (a pending run completes, a running one counts on) keep room.
  const std::pair<int, const char*> widest[] = {
      {RunsModel::Status, "completed"}, {RunsModel::Duration, "88h88m88s"}, {RunsModel::Step, "88888/88888"}};
  for (const auto& [column, text] : widest) {
    const int extra = column == RunsModel::Status ? 44 : 12;  // the status icon
    table_->setColumnWidth(
        column, std::max(table_->columnWidth(column), table_->fontMetrics().horizontalAdvance(text) + extra));
  }
  fitted_ = model_->rowCount() > 0;
}

void RunsView::stopSelected() {
  QStringList problems;
  for (qint64 id : selectedRuns()) {
    const Json d = storage::runDetails(session_.index().db(), id);
    const Json& run = d["run"];
    const std::string path = run["path"].get<std::string>();
    const bool remote = cluster::RemoteRun::isRemote(path);
    // A requeued cluster job waits in the scheduler's queue: stopping it cancels the job.
    const bool live = run["status"] == "running" || (remote && run["status"] == "requeued");
    if (!live || (!remote && !run["pid"].is_number_integer())) continue;
    try {
      cluster::backendOf(path)->cancel(path, remote ? 0 : run["pid"].get<int64_t>());
    } catch (const std::exception& e) {
      problems << QString::fromStdString(e.what());
    }
  }
  if (!problems.isEmpty()) QMessageBox::warning(this, tr("Stop"), problems.join("\n"));
  session_.requestSync();
}

void RunsView::resumeSelected() {
  QStringList problems;
  for (qint64 id : selectedRuns()) {
    const Json run = storage::runDetails(session_.index().db(), id)["run"];
    if (run["status"] == "running" || run["status"] == "completed") continue;
    try {
      const std::string path = run["path"].get<std::string>();
      cluster::backendOf(path)->resume(path, reefBinary_.toStdString());
    } catch (const std::exception& e) {
      problems << QString::fromStdString(e.what());
    }
  }
  if (!problems.isEmpty()) QMessageBox::warning(this, tr("Resume"), problems.join("\n"));
  session_.requestSync();
}

void RunsView::focusFilter() {
  filter_->setFocus(Qt::ShortcutFocusReason);
  filter_->selectAll();
}

void RunsView::cloneSelected() {
  const QList<qint64> ids = selectedRuns();
  if (ids.isEmpty()) return;
  const Json run = storage::runDetails(session_.index().db(), ids.front())["run"];
  emit cloneRequested(QString::fromStdString(run["spec"].dump()),
                      QString::fromStdString(run["run_id"].get<std::string>()));
}

void RunsView::deleteSelected() {
  const QList<qint64> ids = selectedRuns();
  if (ids.isEmpty()) return;
  const auto answer = QMessageBox::question(
      this, tr("Delete runs"),
      tr("Move %n run(s) to %1? They disappear from the table; the folders can be restored from there.", nullptr,
         static_cast<int>(ids.size()))
          .arg(session_.workspace() + "/trash"));
  if (answer != QMessageBox::Yes) return;
  for (qint64 id : ids) session_.index().removeRun(id);
  refresh();
}

}  // namespace reef::ui

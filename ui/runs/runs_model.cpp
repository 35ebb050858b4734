#include "ui/runs/runs_model.h"

#include "backend/cluster/remote_backend.h"
#include "backend/protocol/number_format.h"
#include "storage/run_label.h"
#include "storage/workspace_index.h"
#include "ui/runs/progress_delegate.h"

#include <QApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFont>
#include <QIcon>
#include <QStyle>

#include <set>

namespace reef::ui {

namespace {

QString statusIconName(const std::string& status) {
  if (status == "running") return "media-playback-start";
  if (status == "completed") return "emblem-default";
  if (status == "failed") return "dialog-error";
  if (status == "cancelled") return "media-playback-stop";
  if (status == "stopped") return "media-skip-forward";
  if (status == "requeued") return "view-refresh";
  return "appointment-soon";
}

QStyle::StandardPixmap statusFallback(const std::string& status) {
  if (status == "running") return QStyle::SP_MediaPlay;
  if (status == "completed") return QStyle::SP_DialogApplyButton;
  if (status == "failed") return QStyle::SP_MessageBoxCritical;
  if (status == "cancelled") return QStyle::SP_MediaStop;
  if (status == "stopped") return QStyle::SP_MediaSkipForward;
  if (status == "requeued") return QStyle::SP_BrowserReload;
  return QStyle::SP_FileDialogInfoView;
}

QString display(const Json& v) {
  if (v.is_null()) return QStringLiteral("-");
  if (v.is_number_float()) return QString::number(v.get<double>(), 'g', 6);
  if (v.is_number_integer()) return QString::number(v.get<long long>());
  if (v.is_string()) return QString::fromStdString(v.get<std::string>());
  return QString::fromStdString(v.dump());
}

std::optional<double> duration(const storage::RunRow& r) {
  if (!r.started) return std::nullopt;
  const auto end = r.finished ? r.finished : r.lastEvent;
  if (!end) return std::nullopt;
  return *end - *r.started;
}

}  // namespace

RunsModel::RunsModel(storage::WorkspaceIndex& index, QObject* parent) : QAbstractTableModel(parent), index_(index) {
  options_.sort = "started";
  options_.descending = true;
  query();
}

void RunsModel::setFilter(const QString& filter) {
  storage::compileFilter(filter.toStdString());  // throws with the position before anything changes
  options_.filter = filter.toStdString();
  refresh();
}

void RunsModel::setMetricColumns(const QStringList& fields) {
  for (const QString& f : fields) storage::fieldValue(f.toStdString());
  beginResetModel();
  metricColumns_ = fields;
  options_.columns.clear();
  for (const QString& f : fields) options_.columns.push_back(f.toStdString());
  query();
  endResetModel();
}

void RunsModel::refresh() {
  beginResetModel();
  query();
  endResetModel();
}

void RunsModel::query() {
  QElapsedTimer timer;
  timer.start();
  rows_ = storage::listRuns(index_.db(), options_);
  lastNotes_.clear();
  auto notes = index_.db().prepare("SELECT run_id, text FROM notes ORDER BY created, id");
  while (notes.step()) lastNotes_[notes.int64(0)] = QString::fromStdString(notes.text(1));
  where_.clear();
  for (const auto& r : rows_) {
    if (!cluster::RemoteRun::isRemote(r.path)) continue;
    try {
      const cluster::RemoteRun remote = cluster::RemoteRun::read(r.path);
      where_[r.id] = QString::fromStdString(remote.cluster + " job " + remote.job +
                                            (remote.state.empty() ? "" : ": " + remote.state));
    } catch (const std::exception& e) {
      where_[r.id] = QString::fromStdString(e.what());
    }
  }
  lastQueryMs_ = timer.nsecsElapsed() / 1e6;
}

int RunsModel::rowOfRun(int64_t id) const {
  for (size_t i = 0; i < rows_.size(); ++i)
    if (rows_[i].id == id) return static_cast<int>(i);
  return -1;
}

int RunsModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}
int RunsModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : notesColumn() + 1; }

QVariant RunsModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const storage::RunRow& r = rows_[static_cast<size_t>(index.row())];
  const int c = index.column();
  if (role == kRunIdRole) return QVariant::fromValue<qlonglong>(r.id);
  if (role == Qt::DecorationRole && c == Status)
    return QIcon::fromTheme(statusIconName(r.status), QApplication::style()->standardIcon(statusFallback(r.status)));
  if (role == Qt::ToolTipRole && c == Status) return QString::fromStdString(r.path);
  if (role == Qt::TextAlignmentRole && (c == Step || c == Duration || (c >= FirstMetric && c < tagsColumn())))
    return QVariant(Qt::AlignRight | Qt::AlignVCenter);
  if (role == ProgressDelegate::kProgressRole && c == Step && r.status == "running" && r.totalSteps &&
      *r.totalSteps > 0)
    return static_cast<double>(r.lastStep.value_or(0)) / static_cast<double>(*r.totalSteps);
  if (c == Name && storage::labelIsGenerated(r.name)) {
    if (role == Qt::FontRole) {
      QFont italic;
      italic.setItalic(true);
      return italic;
    }
    if (role == Qt::ToolTipRole) return tr("A label made from the run id: the run has no exp.name");
  }
  if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
  switch (c) {
    case Status:
      return QString::fromStdString(r.status);
    case Name:
      return QString::fromStdString(role == Qt::EditRole ? r.name : storage::runLabel(r.name, r.runId));
    case RunId:
      return QString::fromStdString(r.runId);
    case Model:
      return r.collection.empty() ? QString("-") : QString::fromStdString(r.collection + "/" + r.arch);
    case Started:
      return r.started ? QDateTime::fromSecsSinceEpoch(static_cast<qint64>(*r.started)).toString("yyyy-MM-dd hh:mm")
                       : "-";
    case Duration: {
      const auto d = duration(r);
      return d ? QString::fromStdString(protocol::formatDuration(*d)) : QString("-");
    }
    case Step:
      return r.lastStep ? QString::number(*r.lastStep) + (r.totalSteps ? "/" + QString::number(*r.totalSteps) : "")
                        : "-";
    case Where: {
      auto w = where_.find(r.id);
      return w == where_.end() ? QString("local") : w->second;
    }
    default:
      break;
  }
  if (c < tagsColumn()) return display(r.values[static_cast<size_t>(c - FirstMetric)]);
  if (c == tagsColumn()) {
    QStringList tags;
    for (const auto& t : r.tags) tags << QString::fromStdString(t);
    return tags.join(", ");
  }
  auto note = lastNotes_.find(r.id);
  return note == lastNotes_.end() ? QString() : note->second;
}

QVariant RunsModel::headerData(int section, Qt::Orientation orientation, int role) const {
  if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
  static const char* names[] = {"Status", "Name", "Run", "Model", "Started", "Duration", "Step", "Where"};
  if (section < FirstMetric) return tr(names[section]);
  if (section < tagsColumn()) return metricColumns_[section - FirstMetric];
  return section == tagsColumn() ? tr("Tags") : tr("Note");
}

Qt::ItemFlags RunsModel::flags(const QModelIndex& index) const {
  Qt::ItemFlags f = QAbstractTableModel::flags(index);
  if (index.column() == tagsColumn() || index.column() == notesColumn()) f |= Qt::ItemIsEditable;
  return f;
}

bool RunsModel::setData(const QModelIndex& index, const QVariant& value, int role) {
  if (role != Qt::EditRole || !index.isValid()) return false;
  const storage::RunRow& r = rows_[static_cast<size_t>(index.row())];
  if (index.column() == tagsColumn()) {
    std::set<std::string> wanted, current(r.tags.begin(), r.tags.end());
    for (const QString& t : value.toString().split(',', Qt::SkipEmptyParts))
      if (!t.trimmed().isEmpty()) wanted.insert(t.trimmed().toStdString());
    std::vector<std::string> add, remove;
    for (const auto& t : wanted)
      if (!current.count(t)) add.push_back(t);
    for (const auto& t : current)
      if (!wanted.count(t)) remove.push_back(t);
    if (!add.empty()) index_.addTags(r.id, add);
    if (!remove.empty()) index_.removeTags(r.id, remove);
  } else if (index.column() == notesColumn()) {
    const QString text = value.toString().trimmed();
    if (text.isEmpty() || text == data(index, Qt::DisplayRole).toString()) return false;
    index_.addNote(r.id, text.toStdString());
  } else {
    return false;
  }
  refresh();
  return true;
}

void RunsModel::sort(int column, Qt::SortOrder order) {
  static const char* fields[] = {"status", "name", "run_id", "arch", "started", "duration", "last_step"};
  if (column == Where) return;  // not a field of the index
  if (column < FirstMetric)
    options_.sort = fields[column];
  else if (column < tagsColumn())
    options_.sort = metricColumns_[column - FirstMetric].toStdString();
  else
    return;
  options_.descending = order == Qt::DescendingOrder;
  refresh();
}

}  // namespace reef::ui

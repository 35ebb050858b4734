#pragma once
// The runs table: a Qt item model over storage's run list. Filtering and sorting are done by the
// database (storage's filter language, ORDER BY any field), so 10,000 runs stay fast; tags and
// notes are editable in place and written through the workspace index.
#include "storage/run_query.h"

#include <QAbstractTableModel>
#include <QStringList>

namespace reef::storage {
class WorkspaceIndex;
}

namespace reef::ui {

class RunsModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  // Where: "local", or a cluster run's profile, job id and the scheduler's last word on it.
  enum Column { Status, Name, RunId, Model, Started, Duration, Step, Where, FirstMetric };
  static constexpr int kRunIdRole = Qt::UserRole + 1;

  explicit RunsModel(storage::WorkspaceIndex& index, QObject* parent = nullptr);

  // Throws storage::FilterError (with its column) for a bad filter; the model keeps the last good one.
  void setFilter(const QString& filter);
  // Extra columns, e.g. "val/acc.best", "train/loss.last", "optim.lr".
  void setMetricColumns(const QStringList& fields);
  QStringList metricColumns() const { return metricColumns_; }
  // Re-reads the runs (after a sync); selection is kept by the views through run ids.
  void refresh();

  const storage::RunRow& run(int row) const { return rows_[static_cast<size_t>(row)]; }
  int rowOfRun(int64_t id) const;
  double lastQueryMs() const { return lastQueryMs_; }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role) const override;
  QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
  Qt::ItemFlags flags(const QModelIndex& index) const override;
  bool setData(const QModelIndex& index, const QVariant& value, int role) override;
  void sort(int column, Qt::SortOrder order) override;

 private:
  int tagsColumn() const { return FirstMetric + static_cast<int>(metricColumns_.size()); }
  int notesColumn() const { return tagsColumn() + 1; }
  void query();

  storage::WorkspaceIndex& index_;
  storage::RunListOptions options_;
  QStringList metricColumns_;
  std::vector<storage::RunRow> rows_;
  std::map<int64_t, QString> lastNotes_;
  std::map<int64_t, QString> where_;
  double lastQueryMs_ = 0;
};

}  // namespace reef::ui

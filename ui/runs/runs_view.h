#pragma once
// The runs panel: filter box (storage's filter language, errors shown with their column), the
// metric columns to show, the table, and the actions on selected runs: stop, resume, clone and
// edit, delete.
#include <QList>
#include <QStringList>
#include <QWidget>

class QLabel;
class QLineEdit;
class QTableView;

namespace reef::ui {

class RunsModel;
class WorkspaceSession;

class RunsView : public QWidget {
  Q_OBJECT
 public:
  RunsView(WorkspaceSession& session, QString reefBinary, QWidget* parent = nullptr);

  RunsModel* model() const { return model_; }
  QTableView* table() const { return table_; }
  QList<qint64> selectedRuns() const;
  void selectRun(qint64 id);
  // Re-reads the table, keeping the selection.
  void refresh();
  void setFilterText(const QString& text);
  QString filterError() const;
  // Columns by their header name ("Run", "val/acc.best"), as the header's context menu does.
  void setColumnShown(const QString& name, bool shown);
  bool columnShown(const QString& name) const;
  void focusFilter();  // Find: the filter box, its text selected
  // The actions on the selected runs (the buttons below the table and the Run menu).
  void stopSelected();
  void resumeSelected();
  void cloneSelected();
  void deleteSelected();

 signals:
  void selectionChanged(QList<qint64> runs);
  void cloneRequested(QString specJson, QString origin);

 private:
  void applyFilter();
  void applyColumns();
  void setUpColumns();
  void applyHiddenColumns();
  void fitColumns();

  WorkspaceSession& session_;
  QString reefBinary_;
  RunsModel* model_;
  QTableView* table_;
  QLineEdit* filter_;
  QLineEdit* columns_;
  QLabel* message_;
  QList<qint64> keptSelection_;
  QStringList hiddenColumns_;
  bool fitted_ = false;
};

}  // namespace reef::ui

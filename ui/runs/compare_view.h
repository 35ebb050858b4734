#pragma once
// Compare the selected runs: the spec keys that differ (or all of them), and their metric
// summaries side by side.
#include <QList>
#include <QWidget>

class QCheckBox;
class QTableWidget;

namespace reef::ui {

class WorkspaceSession;

class CompareView : public QWidget {
  Q_OBJECT
 public:
  explicit CompareView(WorkspaceSession& session, QWidget* parent = nullptr);
  void setRuns(const QList<qint64>& runs);
  void refresh();
  QTableWidget* table() const { return table_; }

 private:
  WorkspaceSession& session_;
  QList<qint64> runs_;
  QCheckBox* showAll_;
  QTableWidget* table_;
};

}  // namespace reef::ui

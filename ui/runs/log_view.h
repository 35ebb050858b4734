#pragma once
// A run's log, live: the engine's log events by rank, with a search box.
#include <QWidget>

class QComboBox;
class QLineEdit;
class QPlainTextEdit;

namespace reef::ui {

class WorkspaceSession;

class LogView : public QWidget {
  Q_OBJECT
 public:
  explicit LogView(WorkspaceSession& session, QWidget* parent = nullptr);
  void setRun(qint64 run);
  void refresh();
  QString text() const;

 private:
  WorkspaceSession& session_;
  qint64 run_ = 0;
  QComboBox* rank_;
  QLineEdit* search_;
  QPlainTextEdit* text_;
};

}  // namespace reef::ui

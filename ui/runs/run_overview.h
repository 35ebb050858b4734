#pragma once
// A run at a glance, the first page of Details: status with a progress bar and ETA while it
// runs, when it started and how long it took, the monitored metric's best and last values, the
// model and its size, the parallelism and hosts, the command that reproduces it, its
// checkpoints, and its tags and notes, editable in place (through the run index, so they are
// kept in the run folder too).
#include "backend/protocol/json.h"

#include <QMap>
#include <QWidget>

class QFormLayout;
class QLabel;
class QLineEdit;
class QProgressBar;

namespace reef::ui {

class WorkspaceSession;

class RunOverview : public QWidget {
  Q_OBJECT
 public:
  explicit RunOverview(WorkspaceSession& session, QWidget* parent = nullptr);
  // `details`: storage::runDetails of `run`.
  void display(qint64 run, const Json& details);

  // A row's text ("Status", "Monitor", "Model", "Reproduce", ...), for tests and copy.
  QString field(const QString& row) const;
  QProgressBar* progress() const { return progress_; }
  QLineEdit* tags() const { return tags_; }
  QLineEdit* newNote() const { return newNote_; }

 signals:
  // Tags or notes changed in the index.
  void annotated();

 private:
  QLabel* addRow(const QString& name);
  void saveTags();
  void saveNote();

  WorkspaceSession& session_;
  qint64 run_ = 0;
  QStringList shownTags_;
  QFormLayout* form_;
  QMap<QString, QLabel*> rows_;
  QProgressBar* progress_;
  QLineEdit* reproduce_;
  QLineEdit* tags_;
  QLineEdit* newNote_;
};

}  // namespace reef::ui

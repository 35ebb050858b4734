#pragma once
// A run's log, live: the engine's log events by rank, or a file of the run's logs/ folder (the
// launcher's output with its progress lines, each rank's log), followed as it grows; with a
// search box.
#include "ui/runs/log_tail.h"

#include <QWidget>

class QComboBox;
class QLineEdit;
class QPlainTextEdit;
class QTimer;

namespace reef::ui {

class WorkspaceSession;

class LogView : public QWidget {
  Q_OBJECT
 public:
  explicit LogView(WorkspaceSession& session, QWidget* parent = nullptr);
  void setRun(qint64 run);
  // Picks up what is new: files that appeared in logs/, lines appended, events indexed.
  void refresh();
  QString text() const;
  // "events" for the engine's log events, otherwise the file's name in logs/.
  QString sourceName() const;
  void setSource(const QString& name);

  // How often a followed file is read while the view is shown.
  static constexpr int kFollowIntervalMs = 250;

 protected:
  void showEvent(QShowEvent* event) override;
  void hideEvent(QHideEvent* event) override;

 private:
  void listSources();
  void reload();
  void showEvents();
  void followFile();
  void appendLines(const QStringList& lines);

  WorkspaceSession& session_;
  qint64 run_ = 0;
  QString logsDir_;
  QComboBox* source_;
  QComboBox* rank_;
  QLineEdit* search_;
  QPlainTextEdit* text_;
  QTimer* follow_;
  LogTail tail_;
};

}  // namespace reef::ui

#pragma once
// One run in full: its resolved spec, recent events, checkpoints, artifacts, and for classifiers
// the confusion matrix drawn as a heat map.
#include <QWidget>

class QCustomPlot;
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QTableWidget;
class QTabWidget;

namespace reef::ui {

class WorkspaceSession;

class RunDetails : public QWidget {
  Q_OBJECT
 public:
  explicit RunDetails(WorkspaceSession& session, QWidget* parent = nullptr);
  void setRun(qint64 run);
  void refresh();
  QCustomPlot* confusionPlot() const { return confusion_; }
  QListWidget* predictions() const { return predictions_; }
  QTabWidget* tabs() const { return tabs_; }

 private:
  void showConfusionMatrix(const QString& path);
  void showPredictions(const QString& runPath, const QString& indexPath);

  WorkspaceSession& session_;
  qint64 run_ = 0;
  QLabel* title_;
  QTabWidget* tabs_;
  QPlainTextEdit* spec_;
  QPlainTextEdit* events_;
  QTableWidget* checkpoints_;
  QTableWidget* artifacts_;
  QCustomPlot* confusion_;
  QListWidget* predictions_;
};

}  // namespace reef::ui

#pragma once
// One run in full: an overview (status, progress, monitored metric, model, reproduce command,
// tags and notes), its resolved spec, recent events, checkpoints, artifacts, and the sample views
// its model's catalog capabilities name: the confusion matrix drawn as a heat map; sample
// predictions (images, texts with the errors first, marks and capitals restored with the differences
// marked) where the run's evaluation wrote them; the retrieval grid of a typed query; speech
// transcriptions or synthesized samples to listen to (the Speech tab).
#include "backend/protocol/catalog.h"

#include <QWidget>

#include <map>
#include <string>

class QCustomPlot;
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QTableWidget;
class QTabWidget;
class QTextBrowser;

namespace reef::ui {

class WorkspaceSession;

class RetrievalView;
class RunOverview;
class SpeechView;

class RunDetails : public QWidget {
  Q_OBJECT
 public:
  // `catalog` says which sample views each model has (nullptr: none, only the artifacts table);
  // it outlives this widget. `reefBinary` runs the retrieval searches (empty: looked up when needed).
  RunDetails(WorkspaceSession& session, const protocol::Catalog* catalog, QString reefBinary = {},
             QWidget* parent = nullptr);
  void setRun(qint64 run);
  void refresh();
  QCustomPlot* confusionPlot() const { return confusion_; }
  QListWidget* predictions() const { return predictions_; }
  QTableWidget* textPredictions() const { return textPredictions_; }
  QTextBrowser* restoredText() const { return restored_; }
  RetrievalView* retrieval() const { return retrieval_; }
  SpeechView* speech() const { return speech_; }
  QLabel* title() const { return title_; }  // the run, its status, path and error
  QTabWidget* tabs() const { return tabs_; }
  RunOverview* overview() const { return overview_; }

 signals:
  // Tags or notes were edited in the overview.
  void annotated();

 private:
  // view -> the file of the artifact it shows, for the views the run's model declares.
  std::map<std::string, QString> viewFiles(const Json& run, const Json& artifacts) const;
  void showSampleViews(const Json& run, const Json& details);
  void showConfusionMatrix(const QString& path);
  void showPredictions(const QString& runPath, const QString& indexPath);
  void showTextPredictions(const QString& path);
  void showRestoredText(const QString& path);

  WorkspaceSession& session_;
  const protocol::Catalog* catalog_;
  qint64 run_ = 0;
  QLabel* title_;
  QTabWidget* tabs_;
  RunOverview* overview_;
  QPlainTextEdit* spec_;
  QPlainTextEdit* events_;
  QTableWidget* checkpoints_;
  QTableWidget* artifacts_;
  QCustomPlot* confusion_;
  QListWidget* predictions_;
  QTableWidget* textPredictions_;
  QTextBrowser* restored_;
  RetrievalView* retrieval_;
  SpeechView* speech_;
};

}  // namespace reef::ui

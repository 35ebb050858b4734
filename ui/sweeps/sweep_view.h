#pragma once
// The Sweeps tab: the workspace's sweeps, one at a time. Its trials (status including stopped
// early, parameters, metric, steps), and plots of them: learning curves coloured by status,
// parallel coordinates with brushing (the brushed trials are highlighted in every plot), parameter
// importance, best-so-far against compute and a slice per parameter. New sweep (preview, then
// start), resume, stop, clone the best trial into the designer and export it. Everything is read
// from the sweep's folder (state.json), refreshed while it changes; controllers are `reef sweep`
// processes.
#include "backend/protocol/catalog.h"
#include "backend/sweep/sweep_store.h"

#include <QDateTime>
#include <QList>
#include <QTimer>
#include <QWidget>

#include <optional>

class QComboBox;
class QHBoxLayout;
class QCustomPlot;
class QLabel;
class QPushButton;
class QTableWidget;
class QTabWidget;

namespace reef::ui {

class ParallelCoordinatesPlot;

class SweepView : public QWidget {
  Q_OBJECT
 public:
  SweepView(QString workspace, const protocol::Catalog* catalog, QString reefBinary, QWidget* parent = nullptr);

  // Reads the list of sweeps and the shown sweep's state again (what the timer does on change).
  void refresh();
  // Shows sweep `id` (or the newest when empty).
  void showSweep(const QString& id);
  // `reef sweep FILE --preview`: the plan, or why the file cannot run (`ok` false).
  QString preview(const QString& file, bool& ok) const;
  // Starts `reef sweep FILE` in the background, its output in <workspace>/sweeps/.
  bool start(const QString& file);

  QComboBox* sweeps() const { return sweeps_; }
  QTableWidget* trials() const { return trials_; }
  QTabWidget* charts() const { return charts_; }
  ParallelCoordinatesPlot* parallel() const { return parallel_; }
  QCustomPlot* curves() const { return curves_; }
  QCustomPlot* importance() const { return importance_; }
  QCustomPlot* bestPlot() const { return best_; }
  QCustomPlot* slicePlot() const { return slice_; }
  QComboBox* sliceParameter() const { return sliceKey_; }
  QLabel* summary() const { return summary_; }
  QPushButton* cloneBestButton() const { return cloneBest_; }
  QPushButton* stopButton() const { return stop_; }
  QPushButton* resumeButton() const { return resume_; }

 protected:
  void showEvent(QShowEvent* event) override;

 Q_SIGNALS:
  // The best trial's spec (without its sweep label), for the designer.
  void cloneRequested(const QString& specJson, const QString& origin);

 private:
  void buildToolbar(QHBoxLayout* bar);
  void buildCharts();
  void load();
  void updateButtons();
  void fillTable();
  void drawCurves();
  void drawImportance();
  void drawBest();
  void drawSlice();
  void highlight(const QList<int>& trials);
  void newSweep();
  void runController(const QStringList& args);
  void cloneBest();
  void exportBest();
  const sweep::Trial* bestTrial() const;

  QString workspace_, reef_;
  const protocol::Catalog* catalog_;
  std::optional<sweep::SweepStore> store_;
  std::optional<sweep::SweepSpec> spec_;
  sweep::SweepState state_;
  QDateTime loadedAt_;
  QList<int> highlighted_;
  QTimer timer_;
  QComboBox* sweeps_;
  QLabel* summary_;
  QPushButton *new_, *resume_, *stop_, *cloneBest_, *exportBest_;
  QTableWidget* trials_;
  QTabWidget* charts_;
  ParallelCoordinatesPlot* parallel_;
  QCustomPlot *curves_, *importance_, *best_, *slice_;
  QComboBox* sliceKey_;
};

}  // namespace reef::ui

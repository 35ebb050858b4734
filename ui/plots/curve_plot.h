#pragma once
// Live curves of one metric over any set of runs (QCustomPlot): a stable colour per run, the
// debiased EMA over the raw series drawn faint behind it, log y, x by step, wall time or time
// since the run started, zoom/pan/reset, hover read-out, PNG/SVG/CSV export. Each redraw
// decimates the in-memory series to the plot's width in pixels (first/min/max/last per column).
#include "storage/metric_store.h"
#include "storage/series_cache.h"

#include <QColor>
#include <QList>
#include <QTimer>
#include <QWidget>

#include <memory>
#include <vector>

class QCheckBox;
class QComboBox;
class QCPGraph;
class QCustomPlot;
class QLabel;
class QSlider;

namespace reef::ui {

class WorkspaceSession;

class CurvePlot : public QWidget {
  Q_OBJECT
 public:
  enum class XAxis { Step, WallTime, RelativeTime };

  explicit CurvePlot(WorkspaceSession& session, QWidget* parent = nullptr);
  ~CurvePlot() override;

  void setRuns(const QList<qint64>& runs);
  void setMetric(const QString& key);
  QString metric() const;
  void setSmoothing(double weight);  // 0 .. 0.999
  void setLogY(bool on);
  void setXAxis(XAxis axis);
  // Reads what is new in the runs' series and redraws (coalesced by the caller's timer).
  void refresh();
  // Decimates for the current view and replots.
  void redraw();
  void resetView();

  QCustomPlot* plot() const { return plot_; }
  size_t pointCount(qint64 run) const;  // raw points held for the run's curve
  double lastRedrawMs() const { return lastRedrawMs_; }
  static QColor colorOfRun(const QString& runId);

  bool exportPng(const QString& path);
  bool exportSvg(const QString& path);
  bool exportCsv(const QString& path);

 private:
  struct Curve;
  void rebuildCurves();
  void updateMetricChoices();
  void showReadout(QMouseEvent* event);
  double xAt(const Curve& c, size_t index) const;

  WorkspaceSession& session_;
  storage::SeriesCache cache_;
  QList<qint64> runs_;
  std::vector<std::unique_ptr<Curve>> curves_;
  QCustomPlot* plot_;
  QComboBox* metric_;
  QComboBox* xAxis_;
  QSlider* smoothing_;
  QLabel* smoothingLabel_;
  QCheckBox* logY_;
  QTimer viewChanged_;
  bool autoRange_ = true;
  bool redrawing_ = false;
  double lastRedrawMs_ = 0;
};

}  // namespace reef::ui

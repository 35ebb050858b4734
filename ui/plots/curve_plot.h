#pragma once
// Live curves of one metric over any set of runs (QCustomPlot): a stable colour per run, the
// debiased EMA over the raw series drawn faint behind it, log y, x by step, wall time or time
// since the run started, zoom/pan/reset, hover read-out, PNG/SVG/CSV export. Each redraw
// decimates the in-memory series to the plot's width in pixels (first/min/max/last per column).
// With Chrome::Panel it is one panel of the Curves dashboard: a title and a menu instead of the
// toolbar, its metric fixed, smoothing and x axis set by the dashboard, zoom and hover shared.
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
class QCPItemStraightLine;
class QCPRange;
class QCustomPlot;
class QLabel;
class QMenu;
class QSlider;

namespace reef::ui {

class WorkspaceSession;

class CurvePlot : public QWidget {
  Q_OBJECT
 public:
  enum class XAxis { Step, WallTime, RelativeTime };
  enum class Chrome { Toolbar, Panel };

  explicit CurvePlot(WorkspaceSession& session, QWidget* parent = nullptr, Chrome chrome = Chrome::Toolbar);
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
  // The dashboard's shared zoom and hover: another panel's x range and cursor shown here.
  void setXRange(const QCPRange& range);
  void showCursor(double x);  // NaN hides it

  QCustomPlot* plot() const { return plot_; }
  QMenu* panelMenu() const { return panelMenu_; }  // Chrome::Panel: the dashboard adds its actions
  bool logY() const;
  size_t pointCount(qint64 run) const;  // raw points held for the run's curve
  double lastRedrawMs() const { return lastRedrawMs_; }
  static QColor colorOfRun(const QString& runId);

  bool exportPng(const QString& path);
  bool exportSvg(const QString& path);
  bool exportCsv(const QString& path);

 signals:
  void xRangeChangedByUser(const QCPRange& range);
  void hovered(double x);  // NaN when the mouse left

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  struct Curve;
  void rebuildCurves();
  void updateMetricChoices();
  void showReadout(QMouseEvent* event);
  QWidget* buildToolbar();
  QWidget* buildPanelHeader();
  void fillExportMenu(QMenu* menu);
  double xAt(const Curve& c, size_t index) const;

  WorkspaceSession& session_;
  Chrome chrome_;
  storage::SeriesCache cache_;
  QList<qint64> runs_;
  std::vector<std::unique_ptr<Curve>> curves_;
  QCustomPlot* plot_;
  QComboBox* metric_;
  QComboBox* xAxis_;
  QSlider* smoothing_;
  QLabel* smoothingLabel_;
  QCheckBox* logY_;
  QMenu* panelMenu_ = nullptr;
  QCPItemStraightLine* cursor_ = nullptr;
  QTimer viewChanged_;
  bool autoRange_ = true;
  bool redrawing_ = false;
  bool following_ = false;  // applying another panel's range: not the user's
  double lastRedrawMs_ = 0;
};

}  // namespace reef::ui

#pragma once
// The Curves tab: every metric of the selected runs at once, one panel per metric (CurvePlot in
// Chrome::Panel), in collapsible sections by prefix (train/, val/, test/, perf/, system/, ...).
// The panels share the x axis choice, smoothing, zoom and the hovered step; a search box filters
// them by name; pinned, hidden and reordered panels and collapsed sections are kept per workspace
// (DashboardLayout, <workspace>/dashboard.json).
#include "ui/plots/curve_plot.h"
#include "ui/plots/dashboard_layout.h"

#include <QList>
#include <QMap>
#include <QString>
#include <QWidget>

class QLabel;
class QLineEdit;
class QScrollArea;
class QToolButton;
class QVBoxLayout;

namespace reef::ui {

class WorkspaceSession;

class CurveDashboard : public QWidget {
  Q_OBJECT
 public:
  explicit CurveDashboard(WorkspaceSession& session, QWidget* parent = nullptr);

  void setRuns(const QList<qint64>& runs);
  // Reads new points into every panel; adds panels for metrics that appeared.
  void refresh();
  // Decimates and paints every panel now (what the benchmark times); returns the time spent
  // decimating, in ms.
  double redrawAll();
  void resetView();
  // Every panel's x range scaled about its centre (0.5: zoom in to half the steps).
  void zoom(double factor);
  void setFilter(const QString& text);
  void setSmoothing(double weight);
  void setXAxis(CurvePlot::XAxis axis);
  void setPinned(const QString& key, bool on);
  void setHidden(const QString& key, bool on);
  void movePanel(const QString& key, int delta);
  void setCollapsed(const QString& section, bool on);
  void focusSearch();  // Find in the Curves tab

  CurvePlot* panel(const QString& key) const;  // nullptr when the runs have no such metric
  QList<DashboardSection> sections() const { return shown_; }
  const DashboardLayout& layout() const { return layout_; }

 protected:
  void resizeEvent(QResizeEvent* event) override;

 private:
  QWidget* buildToolbar();
  CurvePlot* makePanel(const QString& key);
  // Panels for the metrics the runs have now; returns the panels it added (they have no runs yet).
  QList<CurvePlot*> updateKeys();
  void relayout();
  void layoutChanged();  // saves the layout and lays the panels out again
  void updateHiddenMenu();
  void updateEmptyMessage();  // why no panel shows, if none does
  void updateLegend();
  int columns() const;

  WorkspaceSession& session_;
  QList<qint64> runs_;
  QStringList keys_;
  QMap<QString, CurvePlot*> panels_;
  DashboardLayout layout_;
  QList<DashboardSection> shown_;
  QString filter_;
  double smoothing_ = 0.6;
  CurvePlot::XAxis xAxis_ = CurvePlot::XAxis::Step;
  int laidOutColumns_ = 0;
  QLineEdit* search_;
  QToolButton* hiddenButton_;
  QLabel* empty_;
  QLabel* legend_;  // the runs' colours, shared by every panel
  QScrollArea* scroll_;
  QWidget* canvas_;
  QVBoxLayout* canvasLayout_;
};

}  // namespace reef::ui

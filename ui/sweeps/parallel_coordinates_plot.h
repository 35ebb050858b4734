#pragma once
// A parallel-coordinates plot of a sweep's trials: one vertical axis per parameter (log ranges
// spread evenly, lists by category) and the metric last, better at the top; a line per trial in
// its status's colour. Dragging along an axis brushes an interval there; lines outside any brush
// turn grey; a double click on an axis clears its brush.
#include "ui/sweeps/sweep_charts.h"

#include <QList>
#include <QWidget>

#include <map>

class QPainter;

namespace reef::ui {

class ParallelCoordinatesPlot : public QWidget {
  Q_OBJECT
 public:
  explicit ParallelCoordinatesPlot(QWidget* parent = nullptr);

  // Keeps the brushes of axes that still exist.
  void setData(ParallelCoordinates data);
  // A brush on axis `axis` over [lo, hi] (positions in [0, 1], 0 at the bottom).
  void setBrush(int axis, double lo, double hi);
  void clearBrushes();
  // The trials inside every brush (all of them without brushes).
  QList<int> selectedTrials() const;
  const ParallelCoordinates& data() const { return data_; }

 Q_SIGNALS:
  void selectionChanged(const QList<int>& trials);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void mouseDoubleClickEvent(QMouseEvent* event) override;
  QSize sizeHint() const override { return {800, 360}; }

 private:
  double axisX(size_t axis) const;
  double yOf(double position) const;
  double positionAt(double y) const;
  int axisNear(double x) const;
  bool inside(const ParallelCoordinates::Line& line) const;
  void paintAxes(QPainter& p) const;

  ParallelCoordinates data_;
  std::map<int, std::pair<double, double>> brushes_;
  int dragAxis_ = -1;
  double dragFrom_ = 0;
};

}  // namespace reef::ui

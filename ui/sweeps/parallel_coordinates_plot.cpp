#include "ui/sweeps/parallel_coordinates_plot.h"

#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

#include <cmath>

namespace reef::ui {

namespace {
constexpr double kMarginX = 60, kTop = 34, kBottom = 24;
}  // namespace

ParallelCoordinatesPlot::ParallelCoordinatesPlot(QWidget* parent) : QWidget(parent) {
  setMinimumHeight(220);
  setMouseTracking(false);
}

void ParallelCoordinatesPlot::setData(ParallelCoordinates data) {
  data_ = std::move(data);
  for (auto it = brushes_.begin(); it != brushes_.end();)
    it = it->first < static_cast<int>(data_.axes.size()) ? std::next(it) : brushes_.erase(it);
  update();
}

void ParallelCoordinatesPlot::setBrush(int axis, double lo, double hi) {
  brushes_[axis] = {std::min(lo, hi), std::max(lo, hi)};
  update();
  emit selectionChanged(selectedTrials());
}

void ParallelCoordinatesPlot::clearBrushes() {
  brushes_.clear();
  update();
  emit selectionChanged(selectedTrials());
}

bool ParallelCoordinatesPlot::inside(const ParallelCoordinates::Line& line) const {
  for (const auto& [axis, range] : brushes_) {
    const double p = line.positions[static_cast<size_t>(axis)];
    if (std::isnan(p) || p < range.first || p > range.second) return false;
  }
  return true;
}

QList<int> ParallelCoordinatesPlot::selectedTrials() const {
  QList<int> out;
  for (const auto& line : data_.lines)
    if (inside(line)) out << line.trial;
  return out;
}

double ParallelCoordinatesPlot::axisX(size_t axis) const {
  const double n = static_cast<double>(std::max<size_t>(data_.axes.size(), 2) - 1);
  return kMarginX + (width() - 2 * kMarginX) * static_cast<double>(axis) / n;
}

double ParallelCoordinatesPlot::yOf(double position) const {
  return kTop + (height() - kTop - kBottom) * (1 - position);
}

double ParallelCoordinatesPlot::positionAt(double y) const {
  return std::clamp(1 - (y - kTop) / (height() - kTop - kBottom), 0.0, 1.0);
}

int ParallelCoordinatesPlot::axisNear(double x) const {
  for (size_t i = 0; i < data_.axes.size(); ++i)
    if (std::abs(axisX(i) - x) < 14) return static_cast<int>(i);
  return -1;
}

void ParallelCoordinatesPlot::paintAxes(QPainter& p) const {
  const QColor text = palette().color(QPalette::WindowText);
  for (size_t i = 0; i < data_.axes.size(); ++i) {
    const double x = axisX(i);
    const auto& axis = data_.axes[i];
    p.setPen(QPen(text, 1));
    p.drawLine(QPointF(x, yOf(0)), QPointF(x, yOf(1)));
    const QString title = axis.title + (axis.log ? tr(" (log)") : QString());
    p.drawText(QRectF(x - 80, 4, 160, 18), Qt::AlignCenter, title);
    for (const auto& [position, label] : axis.ticks) {
      p.drawLine(QPointF(x - 3, yOf(position)), QPointF(x + 3, yOf(position)));
      p.drawText(QRectF(x + 5, yOf(position) - 8, 90, 16), Qt::AlignLeft | Qt::AlignVCenter, label);
    }
    if (const auto it = brushes_.find(static_cast<int>(i)); it != brushes_.end()) {
      p.setPen(Qt::NoPen);
      p.setBrush(QColor(33, 150, 243, 70));
      p.drawRect(QRectF(QPointF(x - 7, yOf(it->second.second)), QPointF(x + 7, yOf(it->second.first))));
      p.setBrush(Qt::NoBrush);
    }
  }
}

void ParallelCoordinatesPlot::paintEvent(QPaintEvent*) {
  QPainter p(this);
  p.setRenderHint(QPainter::Antialiasing);
  p.fillRect(rect(), palette().color(QPalette::Base));
  if (data_.lines.empty()) {
    p.drawText(rect(), Qt::AlignCenter, tr("No trial has reported the sweep's metric yet."));
    return;
  }
  // Greyed lines first, so that the brushed ones stay on top.
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& line : data_.lines) {
      if (inside(line) != (pass == 1)) continue;
      QPainterPath path;
      bool open = false;
      for (size_t i = 0; i < line.positions.size(); ++i) {
        if (std::isnan(line.positions[i])) continue;  // an absent conditional parameter: skip its axis
        const QPointF point(axisX(i), yOf(line.positions[i]));
        open ? path.lineTo(point) : path.moveTo(point);
        open = true;
      }
      QColor color = pass == 1 ? QColor(statusColor(line.status)) : QColor(190, 190, 190, 110);
      p.setPen(QPen(color, pass == 1 ? 1.6 : 1.0));
      p.drawPath(path);
    }
  paintAxes(p);
}

void ParallelCoordinatesPlot::mousePressEvent(QMouseEvent* event) {
  dragAxis_ = axisNear(event->position().x());
  dragFrom_ = positionAt(event->position().y());
}

void ParallelCoordinatesPlot::mouseMoveEvent(QMouseEvent* event) {
  if (dragAxis_ < 0) return;
  brushes_[dragAxis_] = {std::min(dragFrom_, positionAt(event->position().y())),
                         std::max(dragFrom_, positionAt(event->position().y()))};
  update();
}

void ParallelCoordinatesPlot::mouseReleaseEvent(QMouseEvent* event) {
  if (dragAxis_ < 0) return;
  const double to = positionAt(event->position().y());
  if (std::abs(to - dragFrom_) > 0.01) setBrush(dragAxis_, dragFrom_, to);
  dragAxis_ = -1;
}

void ParallelCoordinatesPlot::mouseDoubleClickEvent(QMouseEvent* event) {
  const int axis = axisNear(event->position().x());
  if (axis < 0) return;
  brushes_.erase(axis);
  update();
  emit selectionChanged(selectedTrials());
}

}  // namespace reef::ui

#include "ui/plots/curve_plot.h"

#include "storage/run_label.h"
#include "storage/run_query.h"
#include "storage/workspace_index.h"
#include "ui/plots/smoothing.h"
#include "ui/workspace_session.h"

#include <qcustomplot.h>
#include <QCheckBox>
#include <QComboBox>
#include <QElapsedTimer>
#include <QFile>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QSvgGenerator>
#include <QTextStream>
#include <QToolButton>
#include <QToolTip>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace reef::ui {

struct CurvePlot::Curve {
  qint64 run = 0;
  QString runId;
  QString label;
  double startTime = 0;
  const storage::CachedSeries* raw = nullptr;
  std::vector<double> smoothed;  // index for index with raw
  EmaSmoother smoother{0};
  double weight = -1;
  uint64_t generation = 0;
  QCPGraph* bandBase = nullptr;               // min per pixel column (not drawn itself)
  QCPErrorBars* band = nullptr;               // min..max per pixel column, so spikes survive
  QCPGraph* rawLine = nullptr;                // the raw series, faint, behind the smoothed one
  QCPGraph* line = nullptr;                   // the smoothed series (or the raw one when smoothing is off)
  double yLow = INFINITY, yHigh = -INFINITY;  // of the columns drawn last
};

namespace {

size_t sizeOf(const storage::CachedSeries* series) { return series ? series->size() : 0; }

}  // namespace

QColor CurvePlot::colorOfRun(const QString& runId) {
  // A hue from the run id alone, so a run keeps its colour in every plot and session.
  uint32_t h = 2166136261u;  // FNV-1a: the same colour in every Qt version and session
  for (const char ch : runId.toUtf8()) h = (h ^ static_cast<uint8_t>(ch)) * 16777619u;
  const double spread = static_cast<double>(h % 65521) * 0.618033988749895;
  return QColor::fromHsv(static_cast<int>((spread - std::floor(spread)) * 359), 210, 200);
}

CurvePlot::CurvePlot(WorkspaceSession& session, QWidget* parent, Chrome chrome)
    : QWidget(parent), session_(session), chrome_(chrome) {
  metric_ = new QComboBox(this);
  metric_->setObjectName("metric");
  metric_->setMinimumContentsLength(18);
  xAxis_ = new QComboBox(this);
  xAxis_->addItems({tr("step"), tr("wall time"), tr("relative time")});
  smoothing_ = new QSlider(Qt::Horizontal, this);
  smoothing_->setObjectName("smoothing");
  smoothing_->setRange(0, 99);
  smoothing_->setMaximumWidth(160);
  smoothingLabel_ = new QLabel(this);
  logY_ = new QCheckBox(tr("log y"), this);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(chrome_ == Chrome::Toolbar ? buildToolbar() : buildPanelHeader());
  if (chrome_ == Chrome::Panel) layout->setContentsMargins(2, 2, 2, 2);

  plot_ = new QCustomPlot(this);
  plot_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  plot_->legend->setVisible(chrome_ == Chrome::Toolbar);  // panels name runs in their read-out
  plot_->legend->setFont(QFont(font().family(), 8));
  plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
  plot_->setNoAntialiasingOnDrag(true);
  plot_->setMouseTracking(true);
  plot_->installEventFilter(this);
  // The shared hover line lives on a layer of its own, so moving it repaints only that layer.
  plot_->addLayer("cursor", plot_->layer("main"), QCustomPlot::limAbove);
  plot_->layer("cursor")->setMode(QCPLayer::lmBuffered);
  cursor_ = new QCPItemStraightLine(plot_);
  cursor_->setLayer("cursor");
  cursor_->setPen(QPen(QColor(120, 120, 120), 1, Qt::DashLine));
  cursor_->setVisible(false);
  layout->addWidget(plot_, 1);

  viewChanged_.setSingleShot(true);
  viewChanged_.setInterval(30);
  connect(&viewChanged_, &QTimer::timeout, this, &CurvePlot::redraw);
  connect(plot_->xAxis, qOverload<const QCPRange&>(&QCPAxis::rangeChanged), this, [this](const QCPRange& r) {
    if (redrawing_) return;
    viewChanged_.start();
    if (!following_) emit xRangeChangedByUser(r);
  });
  connect(plot_, &QCustomPlot::mousePress, this, [this] { autoRange_ = false; });
  connect(plot_, &QCustomPlot::mouseWheel, this, [this] { autoRange_ = false; });
  connect(plot_, &QCustomPlot::mouseMove, this, &CurvePlot::showReadout);
  connect(metric_, &QComboBox::activated, this, [this] { setMetric(metric_->currentText()); });
  connect(xAxis_, &QComboBox::activated, this, [this](int i) { setXAxis(static_cast<XAxis>(i)); });
  connect(smoothing_, &QSlider::valueChanged, this, [this](int v) { setSmoothing(v / 100.0); });
  connect(logY_, &QCheckBox::toggled, this, &CurvePlot::setLogY);

  // A panel takes its settings from the dashboard; the single plot remembers its own.
  QSettings settings;
  const bool remembered = chrome_ == Chrome::Toolbar;
  smoothing_->setValue(remembered ? settings.value("plot/smoothing", 60).toInt() : 60);
  smoothingLabel_->setText(QString::number(smoothing_->value() / 100.0, 'f', 2));
  logY_->setChecked(remembered && settings.value("plot/logY", false).toBool());
  xAxis_->setCurrentIndex(remembered ? settings.value("plot/xAxis", 0).toInt() : 0);
  setXAxis(static_cast<XAxis>(xAxis_->currentIndex()));
}

QWidget* CurvePlot::buildToolbar() {
  auto* bar = new QWidget(this);
  auto* row = new QHBoxLayout(bar);
  row->setContentsMargins(0, 0, 0, 0);
  auto* reset = new QPushButton(tr("Reset view"), bar);
  connect(reset, &QPushButton::clicked, this, &CurvePlot::resetView);
  auto* exportButton = new QToolButton(bar);
  exportButton->setText(tr("Export"));
  exportButton->setPopupMode(QToolButton::InstantPopup);
  auto* menu = new QMenu(exportButton);
  fillExportMenu(menu);
  exportButton->setMenu(menu);
  row->addWidget(new QLabel(tr("metric"), bar));
  row->addWidget(metric_, 1);
  row->addWidget(new QLabel(tr("x"), bar));
  row->addWidget(xAxis_);
  row->addWidget(new QLabel(tr("smoothing"), bar));
  row->addWidget(smoothing_);
  row->addWidget(smoothingLabel_);
  row->addWidget(logY_);
  row->addWidget(reset);
  row->addWidget(exportButton);
  return bar;
}

QWidget* CurvePlot::buildPanelHeader() {
  for (QWidget* w : std::initializer_list<QWidget*>{metric_, xAxis_, smoothing_, smoothingLabel_, logY_}) w->hide();
  auto* header = new QWidget(this);
  auto* row = new QHBoxLayout(header);
  row->setContentsMargins(4, 0, 0, 0);
  auto* title = new QLabel(header);
  title->setObjectName("panelTitle");
  title->setStyleSheet("font-weight: bold");
  connect(metric_, &QComboBox::currentTextChanged, title, &QLabel::setText);
  auto* menuButton = new QToolButton(header);
  menuButton->setObjectName("panelMenu");
  menuButton->setText(QStringLiteral("\u22EF"));
  menuButton->setAutoRaise(true);
  menuButton->setPopupMode(QToolButton::InstantPopup);
  panelMenu_ = new QMenu(menuButton);
  QAction* log = panelMenu_->addAction(tr("Log y"));
  log->setCheckable(true);
  connect(log, &QAction::toggled, this, &CurvePlot::setLogY);
  connect(logY_, &QCheckBox::toggled, log, &QAction::setChecked);
  panelMenu_->addAction(tr("Reset view"), this, &CurvePlot::resetView);
  fillExportMenu(panelMenu_->addMenu(tr("Export")));
  panelMenu_->addSeparator();
  menuButton->setMenu(panelMenu_);
  row->addWidget(title, 1);
  row->addWidget(menuButton);
  return header;
}

void CurvePlot::fillExportMenu(QMenu* menu) {
  menu->addAction(tr("Plot as PNG..."), this, [this] {
    const QString p = QFileDialog::getSaveFileName(this, tr("Export PNG"), {}, "PNG (*.png)");
    if (!p.isEmpty()) exportPng(p);
  });
  menu->addAction(tr("Plot as SVG..."), this, [this] {
    const QString p = QFileDialog::getSaveFileName(this, tr("Export SVG"), {}, "SVG (*.svg)");
    if (!p.isEmpty()) exportSvg(p);
  });
  menu->addAction(tr("Data as CSV..."), this, [this] {
    const QString p = QFileDialog::getSaveFileName(this, tr("Export CSV"), {}, "CSV (*.csv)");
    if (!p.isEmpty()) exportCsv(p);
  });
}

CurvePlot::~CurvePlot() = default;

QString CurvePlot::metric() const { return metric_->currentText(); }

void CurvePlot::setRuns(const QList<qint64>& runs) {
  runs_ = runs;
  if (chrome_ == Chrome::Toolbar) updateMetricChoices();
  rebuildCurves();
}

void CurvePlot::updateMetricChoices() {
  const QString current = metric_->currentText();
  std::vector<int64_t> ids(runs_.begin(), runs_.end());
  const auto keys = ids.empty() ? std::vector<std::string>{} : storage::metricKeys(session_.index().db(), ids);
  QStringList items;
  for (const auto& k : keys) items << QString::fromStdString(k);
  QStringList existing;
  for (int i = 0; i < metric_->count(); ++i) existing << metric_->itemText(i);
  if (items == existing) return;
  const QSignalBlocker block(metric_);
  metric_->clear();
  metric_->addItems(items);
  QString pick = current;
  if (!items.contains(pick))
    pick = items.contains("train/loss") ? "train/loss" : (items.isEmpty() ? "" : items.front());
  metric_->setCurrentText(pick);
}

void CurvePlot::setMetric(const QString& key) {
  if (metric_->findText(key) < 0) metric_->addItem(key);
  metric_->setCurrentText(key);
  rebuildCurves();
}

void CurvePlot::setSmoothing(double weight) {
  weight = std::clamp(weight, 0.0, 0.999);
  {
    const QSignalBlocker block(smoothing_);
    smoothing_->setValue(static_cast<int>(std::lround(weight * 100)));
  }
  smoothingLabel_->setText(QString::number(weight, 'f', 2));
  if (chrome_ == Chrome::Toolbar) QSettings().setValue("plot/smoothing", smoothing_->value());
  for (auto& c : curves_) c->weight = -1;  // recompute
  refresh();
}

void CurvePlot::setLogY(bool on) {
  {
    const QSignalBlocker block(logY_);
    logY_->setChecked(on);
  }
  if (chrome_ == Chrome::Toolbar) QSettings().setValue("plot/logY", on);
  plot_->yAxis->setScaleType(on ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
  if (on)
    plot_->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
  else
    plot_->yAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
  resetView();
}

void CurvePlot::setXAxis(XAxis axis) {
  xAxis_->setCurrentIndex(static_cast<int>(axis));
  if (chrome_ == Chrome::Toolbar) QSettings().setValue("plot/xAxis", static_cast<int>(axis));
  if (axis == XAxis::WallTime) {
    auto ticker = QSharedPointer<QCPAxisTickerDateTime>::create();
    ticker->setDateTimeFormat("hh:mm:ss\nyyyy-MM-dd");
    plot_->xAxis->setTicker(ticker);
    plot_->xAxis->setLabel(tr("wall time"));
  } else if (axis == XAxis::RelativeTime) {
    auto ticker = QSharedPointer<QCPAxisTickerTime>::create();
    ticker->setTimeFormat("%h:%m:%s");
    plot_->xAxis->setTicker(ticker);
    plot_->xAxis->setLabel(tr("time since start"));
  } else {
    plot_->xAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
    plot_->xAxis->setLabel(tr("step"));
  }
  resetView();
}

void CurvePlot::rebuildCurves() {
  plot_->clearPlottables();
  curves_.clear();
  cache_.clear();
  const std::string key = metric_->currentText().toStdString();
  if (chrome_ == Chrome::Toolbar) plot_->yAxis->setLabel(metric_->currentText());  // a panel has its title
  auto keyId = key.empty() ? std::nullopt : storage::findMetricKey(session_.index().db(), key);
  for (qint64 run : runs_) {
    const Json row = storage::runRow(session_.index().db(), run);
    auto c = std::make_unique<Curve>();
    c->run = run;
    c->runId = QString::fromStdString(row["run_id"].get<std::string>());
    const std::string name = row["name"].get<std::string>();
    c->label = QString::fromStdString(storage::runLabel(name, row["run_id"].get<std::string>()));
    if (!storage::labelIsGenerated(name)) c->label += " (" + c->runId.right(6) + ")";
    c->startTime = row["started"].is_number() ? row["started"].get<double>() : 0.0;
    const QColor color = colorOfRun(c->runId);
    // Pens of width 1 only: Qt strokes wider polylines through its path stroker, which took
    // seconds for a few thousand zig-zagging points (measured), against milliseconds at width 1.
    // The raw band is vertical min..max bars (error bars): a filled channel between two graphs
    // took 50 ms per curve to paint, the bars under 2 ms.
    c->bandBase = plot_->addGraph();
    c->bandBase->setPen(Qt::NoPen);
    c->bandBase->setLineStyle(QCPGraph::lsNone);
    c->bandBase->removeFromLegend();
    c->band = new QCPErrorBars(plot_->xAxis, plot_->yAxis);
    c->band->setDataPlottable(c->bandBase);
    c->band->setWhiskerWidth(0);
    c->band->setAntialiased(false);
    c->rawLine = plot_->addGraph();
    c->rawLine->removeFromLegend();
    c->band->removeFromLegend();
    c->line = plot_->addGraph();
    c->line->setPen(QPen(color, 1));
    c->line->setName(c->label);
    if (keyId) c->raw = &cache_.series(session_.index().db(), run, *keyId);
    curves_.push_back(std::move(c));
  }
  autoRange_ = true;
  refresh();
}

void CurvePlot::refresh() {
  // A run that just started may have brought its first metrics: offer them, and pick one.
  const QString before = metric_->currentText();
  if (chrome_ == Chrome::Toolbar) updateMetricChoices();
  if (metric_->currentText() != before) {
    rebuildCurves();
    return;
  }
  const std::string key = metric_->currentText().toStdString();
  const auto keyId = key.empty() ? std::nullopt : storage::findMetricKey(session_.index().db(), key);
  const double weight = smoothing_->value() / 100.0;
  for (auto& c : curves_) {
    if (!keyId) continue;
    const size_t before = sizeOf(c->raw);
    c->raw = &cache_.series(session_.index().db(), c->run, *keyId);
    const auto& raw = *c->raw;
    const bool extended =
        c->weight == weight && c->generation == raw.generation && c->smoothed.size() == before && raw.size() >= before;
    if (!extended) {  // smoothing changed or the series was re-read: start again
      c->smoothed.clear();
      c->smoother = EmaSmoother(weight);
      c->weight = weight;
      c->generation = raw.generation;
    }
    for (size_t i = c->smoothed.size(); i < raw.size(); ++i) c->smoothed.push_back(c->smoother.push(raw.values[i]));
  }
  if (autoRange_)
    resetView();
  else
    redraw();
}

double CurvePlot::xAt(const Curve& c, size_t index) const {
  switch (static_cast<XAxis>(xAxis_->currentIndex())) {
    case XAxis::Step:
      return static_cast<double>(c.raw->steps[index]);
    case XAxis::WallTime:
      return c.raw->times[index];
    case XAxis::RelativeTime:
      return c.raw->times[index] - c.startTime;
  }
  return 0;
}

void CurvePlot::redraw() {
  QElapsedTimer timer;
  timer.start();
  redrawing_ = true;
  const auto mode = static_cast<XAxis>(xAxis_->currentIndex());
  const int buckets = std::max(100, plot_->axisRect()->width());
  const QCPRange view = plot_->xAxis->range();
  const bool smoothing = smoothing_->value() > 0;
  // A dashboard panel draws the smoothed curve over the min/max band only: at its size the faint
  // raw line adds nothing the band does not show, and it was a third of the painting.
  const bool rawBehind = smoothing && chrome_ == Chrome::Toolbar;
  std::vector<size_t> lastIndex;
  for (auto& c : curves_) {
    QVector<QCPGraphData> low, line, rawLine;
    QVector<double> spread;
    c->yLow = INFINITY;
    c->yHigh = -INFINITY;
    if (sizeOf(c->raw) > 0) {
      const auto& raw = *c->raw;
      // The visible range in steps (time axes map through the run's times, which grow with steps).
      int64_t s0 = raw.steps.front(), s1 = raw.steps.back();
      if (mode == XAxis::Step) {
        s0 = std::max<int64_t>(s0, static_cast<int64_t>(std::floor(view.lower)) - 1);
        s1 = std::min<int64_t>(s1, static_cast<int64_t>(std::ceil(view.upper)) + 1);
      } else {
        const double offset = mode == XAxis::WallTime ? 0 : c->startTime;
        auto lo = std::lower_bound(raw.times.begin(), raw.times.end(), view.lower + offset);
        auto hi = std::upper_bound(raw.times.begin(), raw.times.end(), view.upper + offset);
        if (lo != raw.times.begin()) --lo;
        if (hi != raw.times.end()) ++hi;
        s0 = lo == raw.times.end() ? s1 : raw.steps[static_cast<size_t>(lo - raw.times.begin())];
        s1 = hi == raw.times.end() ? raw.steps.back() : raw.steps[static_cast<size_t>(hi - raw.times.begin())];
      }
      if (s1 >= s0) {
        const auto columns = raw.decimate(buckets, s0, s1, &lastIndex);
        low.reserve(static_cast<int>(columns.size()));
        spread.reserve(static_cast<int>(columns.size()));
        line.reserve(2 * static_cast<int>(columns.size()));
        size_t first = raw.seekStep(0, s0);
        for (size_t j = 0; j < columns.size(); ++j) {
          const auto& b = columns[j];
          const size_t last = lastIndex[j];
          const double x0 = xAt(*c, first), x1 = xAt(*c, last), mid = (x0 + x1) / 2;
          first = last + 1;
          if (std::isnan(b.first)) continue;
          low.append({mid, b.min});
          spread.append(b.max - b.min);
          c->yLow = std::min(c->yLow, b.min);
          c->yHigh = std::max(c->yHigh, b.max);
          if (rawBehind || !smoothing) {
            rawLine.append({x0, b.first});
            if (b.count > 1) rawLine.append({x1, b.last});
          }
          if (smoothing && std::isfinite(c->smoothed[last])) {
            // The average is smooth: its value at each column's last point draws it faithfully.
            line.append({x1, c->smoothed[last]});
          }
        }
      }
    }
    QColor faint = colorOfRun(c->runId);
    faint.setAlpha(smoothing ? 70 : 140);
    c->band->setPen(QPen(faint, 1));
    c->rawLine->setPen(QPen(faint, 1));
    c->rawLine->setVisible(rawBehind);
    c->bandBase->data()->set(low, true);
    c->band->setData(QVector<double>(spread.size(), 0.0), spread);
    c->rawLine->data()->set(rawLine, true);
    c->line->data()->set(smoothing ? line : rawLine, true);
  }
  plot_->replot(QCustomPlot::rpQueuedReplot);
  redrawing_ = false;
  lastRedrawMs_ = timer.nsecsElapsed() / 1e6;
}

void CurvePlot::resetView() {
  autoRange_ = true;
  redrawing_ = true;
  bool any = false;
  double xLo = 0, xHi = 1;
  for (const auto& c : curves_) {
    if (sizeOf(c->raw) == 0) continue;
    const double a = xAt(*c, 0), b = xAt(*c, c->raw->size() - 1);
    xLo = any ? std::min(xLo, a) : a;
    xHi = any ? std::max(xHi, b) : b;
    any = true;
  }
  if (xHi <= xLo) xHi = xLo + 1;
  plot_->xAxis->setRange(xLo, xHi);
  redraw();
  redrawing_ = true;
  bool found = false;
  QCPRange y;
  for (const auto& c : curves_) {
    if (!(c->yLow <= c->yHigh)) continue;
    const bool positive = c->yLow > 0;
    if (logY_->isChecked() && !positive) continue;
    y = found ? QCPRange(std::min(y.lower, c->yLow), std::max(y.upper, c->yHigh)) : QCPRange(c->yLow, c->yHigh);
    found = true;
  }
  if (found) {
    const double pad = (y.upper - y.lower) * 0.05 + (y.upper == y.lower ? std::abs(y.upper) * 0.1 + 1e-9 : 0);
    plot_->yAxis->setRange(logY_->isChecked() ? y.lower / 1.2 : y.lower - pad,
                           logY_->isChecked() ? y.upper * 1.2 : y.upper + pad);
  }
  plot_->replot(QCustomPlot::rpQueuedReplot);
  redrawing_ = false;
}

bool CurvePlot::eventFilter(QObject* watched, QEvent* event) {
  if (watched == plot_ && event->type() == QEvent::Leave && chrome_ == Chrome::Panel) {
    showCursor(NAN);
    emit hovered(NAN);
  }
  return QWidget::eventFilter(watched, event);
}

bool CurvePlot::logY() const { return logY_->isChecked(); }

void CurvePlot::setXRange(const QCPRange& range) {
  autoRange_ = false;
  following_ = true;
  plot_->xAxis->setRange(range);
  following_ = false;
}

void CurvePlot::showCursor(double x) {
  cursor_->setVisible(std::isfinite(x));
  if (std::isfinite(x)) {
    cursor_->point1->setCoords(x, 0);
    cursor_->point2->setCoords(x, 1);
  }
  plot_->layer("cursor")->replot();
}

size_t CurvePlot::pointCount(qint64 run) const {
  for (const auto& c : curves_)
    if (c->run == run) return sizeOf(c->raw);
  return 0;
}

void CurvePlot::showReadout(QMouseEvent* event) {
  if (curves_.empty()) return;
  const double x = plot_->xAxis->pixelToCoord(event->pos().x());
  if (chrome_ == Chrome::Panel) {
    showCursor(x);
    emit hovered(x);
  }
  QStringList lines;
  for (const auto& c : curves_) {
    if (sizeOf(c->raw) == 0) continue;
    const auto& raw = *c->raw;
    // Nearest point by the x in use.
    size_t lo = 0, hi = raw.size() - 1;
    while (lo < hi) {
      const size_t mid = (lo + hi) / 2;
      if (xAt(*c, mid) < x)
        lo = mid + 1;
      else
        hi = mid;
    }
    if (lo > 0 && std::abs(xAt(*c, lo - 1) - x) < std::abs(xAt(*c, lo) - x)) --lo;
    QString line =
        QString("<span style='color:%1'>&#9632;</span> %2: %3 at step %4")
            .arg(colorOfRun(c->runId).name(), c->label.toHtmlEscaped(), QString::number(raw.values[lo], 'g', 6))
            .arg(raw.steps[lo]);
    if (smoothing_->value() > 0 && lo < c->smoothed.size())
      line += QString(" (smoothed %1)").arg(c->smoothed[lo], 0, 'g', 6);
    lines << line;
  }
  if (!lines.isEmpty()) QToolTip::showText(event->globalPosition().toPoint(), lines.join("<br>"), plot_);
}

bool CurvePlot::exportPng(const QString& path) { return plot_->savePng(path, plot_->width(), plot_->height(), 2.0); }

bool CurvePlot::exportSvg(const QString& path) {
  QSvgGenerator generator;
  generator.setFileName(path);
  generator.setSize(plot_->size());
  generator.setViewBox(QRect(QPoint(0, 0), plot_->size()));
  generator.setTitle(metric_->currentText());
  QCPPainter painter;
  if (!painter.begin(&generator)) return false;
  plot_->toPainter(&painter, plot_->width(), plot_->height());
  return painter.end();
}

bool CurvePlot::exportCsv(const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::Text)) return false;
  QTextStream out(&file);
  out << "run_id,metric,step,time,value,smoothed\n";
  for (const auto& c : curves_) {
    for (size_t i = 0; i < sizeOf(c->raw); ++i) {
      const auto& raw = *c->raw;
      out << c->runId << ',' << metric_->currentText() << ',' << raw.steps[i] << ','
          << QString::number(raw.times[i], 'f', 3) << ',' << QString::number(raw.values[i], 'g', 17) << ','
          << (i < c->smoothed.size() ? QString::number(c->smoothed[i], 'g', 17) : QString()) << '\n';
    }
  }
  return out.status() == QTextStream::Ok;
}

}  // namespace reef::ui

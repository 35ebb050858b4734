#include "ui/plots/curve_dashboard.h"

#include "storage/run_label.h"
#include "storage/run_query.h"
#include "storage/workspace_index.h"
#include "ui/workspace_session.h"

#include <qcustomplot.h>
#include <QComboBox>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QScrollArea>
#include <QSettings>
#include <QSlider>
#include <QToolButton>
#include <QVBoxLayout>

#include <cmath>

namespace reef::ui {

namespace {

constexpr int kPanelWidth = 330;  // the narrowest a panel gets before a column goes
void setMember(QSet<QString>& set, const QString& key, bool on) {
  if (on)
    set.insert(key);
  else
    set.remove(key);
}

constexpr int kPanelHeight = 230;  // tall enough for ticks, a title and a readable curve

}  // namespace

CurveDashboard::CurveDashboard(WorkspaceSession& session, QWidget* parent) : QWidget(parent), session_(session) {
  QSettings settings;
  smoothing_ = settings.value("plot/smoothing", 60).toInt() / 100.0;
  xAxis_ = static_cast<CurvePlot::XAxis>(settings.value("plot/xAxis", 0).toInt());
  layout_ = DashboardLayout::load(DashboardLayout::fileIn(session_.workspace()));
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(buildToolbar());
  legend_ = new QLabel(this);
  legend_->setObjectName("legend");
  legend_->setWordWrap(true);
  layout->addWidget(legend_);
  empty_ = new QLabel(this);
  empty_->setAlignment(Qt::AlignCenter);
  empty_->setObjectName("dashboardEmpty");
  layout->addWidget(empty_);
  scroll_ = new QScrollArea(this);
  scroll_->setWidgetResizable(true);
  scroll_->setFrameShape(QFrame::NoFrame);
  canvas_ = new QWidget(scroll_);
  canvasLayout_ = new QVBoxLayout(canvas_);
  canvasLayout_->setContentsMargins(0, 0, 0, 0);
  scroll_->setWidget(canvas_);
  layout->addWidget(scroll_, 1);
  relayout();
}

QWidget* CurveDashboard::buildToolbar() {
  auto* bar = new QWidget(this);
  auto* row = new QHBoxLayout(bar);
  row->setContentsMargins(0, 0, 0, 0);
  search_ = new QLineEdit(bar);
  search_->setObjectName("panelSearch");
  search_->setPlaceholderText(tr("Search panels (e.g. loss, val/)"));
  search_->setClearButtonEnabled(true);
  connect(search_, &QLineEdit::textChanged, this, &CurveDashboard::setFilter);
  auto* xAxis = new QComboBox(bar);
  xAxis->setObjectName("xAxis");
  xAxis->addItems({tr("step"), tr("wall time"), tr("relative time")});
  xAxis->setCurrentIndex(static_cast<int>(xAxis_));
  connect(xAxis, &QComboBox::activated, this, [this](int i) { setXAxis(static_cast<CurvePlot::XAxis>(i)); });
  auto* smoothing = new QSlider(Qt::Horizontal, bar);
  smoothing->setObjectName("smoothing");
  smoothing->setRange(0, 99);
  smoothing->setMaximumWidth(140);
  smoothing->setValue(static_cast<int>(std::lround(smoothing_ * 100)));
  auto* smoothingValue = new QLabel(QString::number(smoothing_, 'f', 2), bar);
  connect(smoothing, &QSlider::valueChanged, this, [this, smoothingValue](int v) {
    smoothingValue->setText(QString::number(v / 100.0, 'f', 2));
    setSmoothing(v / 100.0);
  });
  auto* reset = new QPushButton(tr("Reset zoom"), bar);
  connect(reset, &QPushButton::clicked, this, &CurveDashboard::resetView);
  hiddenButton_ = new QToolButton(bar);
  hiddenButton_->setObjectName("hiddenPanels");
  hiddenButton_->setPopupMode(QToolButton::InstantPopup);
  hiddenButton_->setMenu(new QMenu(hiddenButton_));
  row->addWidget(search_, 1);
  row->addWidget(new QLabel(tr("x"), bar));
  row->addWidget(xAxis);
  row->addWidget(new QLabel(tr("smoothing"), bar));
  row->addWidget(smoothing);
  row->addWidget(smoothingValue);
  row->addWidget(reset);
  row->addWidget(hiddenButton_);
  return bar;
}

CurvePlot* CurveDashboard::makePanel(const QString& key) {
  auto* p = new CurvePlot(session_, canvas_, CurvePlot::Chrome::Panel);
  p->setObjectName("panel:" + key);
  p->setMinimumSize(280, kPanelHeight);
  p->setSmoothing(smoothing_);
  p->setXAxis(xAxis_);
  p->setMetric(key);
  QMenu* menu = p->panelMenu();
  QAction* pin =
      menu->addAction(tr("Pin to the top"), this, [this, key] { setPinned(key, !layout_.pinned.contains(key)); });
  menu->addAction(tr("Hide"), this, [this, key] { setHidden(key, true); });
  menu->addAction(tr("Move earlier"), this, [this, key] { movePanel(key, -1); });
  menu->addAction(tr("Move later"), this, [this, key] { movePanel(key, 1); });
  connect(menu, &QMenu::aboutToShow, pin,
          [this, pin, key] { pin->setText(layout_.pinned.contains(key) ? tr("Unpin") : tr("Pin to the top")); });
  connect(p, &CurvePlot::xRangeChangedByUser, this, [this, p](const QCPRange& range) {
    for (CurvePlot* other : panels_)
      if (other != p) other->setXRange(range);
  });
  connect(p, &CurvePlot::hovered, this, [this, p](double x) {
    for (CurvePlot* other : panels_)
      if (other != p && other->isVisible()) other->showCursor(x);
  });
  return p;
}

void CurveDashboard::setRuns(const QList<qint64>& runs) {
  runs_ = runs;
  updateLegend();
  updateKeys();
  for (CurvePlot* p : panels_) p->setRuns(runs_);
  updateEmptyMessage();  // runs with no metrics leave the panels as they were: only the message changes
}

void CurveDashboard::updateLegend() {
  QStringList items;
  for (qint64 run : runs_) {
    const Json row = storage::runRow(session_.index().db(), run);
    const std::string id = row["run_id"].get<std::string>();
    items << QString("<span style='color:%1'>&#9632;</span>&nbsp;%2")
                 .arg(CurvePlot::colorOfRun(QString::fromStdString(id)).name(),
                      QString::fromStdString(storage::runLabel(row["name"].get<std::string>(), id)).toHtmlEscaped());
  }
  legend_->setText(items.join(" &nbsp; "));
  legend_->setVisible(!items.isEmpty());
}

void CurveDashboard::refresh() {
  // Panels of metrics that just appeared read their series once, through setRuns.
  const QList<CurvePlot*> added = updateKeys();
  for (CurvePlot* p : panels_)
    if (added.contains(p))
      p->setRuns(runs_);
    else
      p->refresh();
}

QList<CurvePlot*> CurveDashboard::updateKeys() {
  std::vector<int64_t> ids(runs_.begin(), runs_.end());
  QStringList keys;
  if (!ids.empty())
    for (const auto& k : storage::metricKeys(session_.index().db(), ids)) keys << QString::fromStdString(k);
  QList<CurvePlot*> added;
  if (keys == keys_) return added;
  for (const auto& k : keys_)
    if (!keys.contains(k)) delete panels_.take(k);
  for (const auto& k : keys)
    if (!panels_.contains(k)) added << (panels_[k] = makePanel(k));
  keys_ = keys;
  relayout();
  return added;
}

int CurveDashboard::columns() const { return std::max(1, scroll_->viewport()->width() / kPanelWidth); }

void CurveDashboard::relayout() {
  shown_ = layout_.arrange(keys_, filter_);
  laidOutColumns_ = columns();
  for (CurvePlot* p : panels_) {
    p->hide();
    p->setParent(canvas_);
  }
  while (QLayoutItem* item = canvasLayout_->takeAt(0)) {
    delete item->widget();
    delete item;
  }
  for (const auto& section : shown_) {
    const bool collapsed = layout_.collapsed.contains(section.name);
    auto* header = new QToolButton(canvas_);
    header->setObjectName("section:" + section.name);
    header->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    header->setArrowType(collapsed ? Qt::RightArrow : Qt::DownArrow);
    header->setAutoRaise(true);
    header->setText(QString("%1  (%2)").arg(section.name).arg(section.keys.size()));
    header->setStyleSheet("font-weight: bold");
    const QString name = section.name;
    connect(header, &QToolButton::clicked, this,
            [this, name] { setCollapsed(name, !layout_.collapsed.contains(name)); });
    canvasLayout_->addWidget(header);
    header->show();  // a layout shows new children of a visible parent only from the event loop
    if (collapsed) continue;
    auto* body = new QWidget(canvas_);
    auto* grid = new QGridLayout(body);
    grid->setContentsMargins(0, 0, 0, 6);
    for (int i = 0; i < section.keys.size(); ++i) {
      CurvePlot* p = panels_.value(section.keys[i]);
      grid->addWidget(p, i / laidOutColumns_, i % laidOutColumns_);
      p->show();
    }
    for (int c = 0; c < laidOutColumns_; ++c) grid->setColumnStretch(c, 1);
    canvasLayout_->addWidget(body);
    body->show();
  }
  canvasLayout_->addStretch(1);
  updateEmptyMessage();
  updateHiddenMenu();
}

void CurveDashboard::updateEmptyMessage() {
  empty_->setText(runs_.isEmpty() ? tr("Select runs in the table to see their metrics.")
                  : keys_.isEmpty()
                      ? tr("The selected runs have reported no metrics yet (a run that failed at its start says why "
                           "in the Logs tab).")
                  : shown_.isEmpty() ? tr("No panel matches \"%1\".").arg(filter_)
                                     : QString());
  empty_->setVisible(!empty_->text().isEmpty());
}

void CurveDashboard::updateHiddenMenu() {
  QStringList hidden;
  for (const auto& k : keys_)
    if (layout_.hidden.contains(k)) hidden << k;
  hiddenButton_->setText(tr("Hidden (%1)").arg(hidden.size()));
  hiddenButton_->setEnabled(!hidden.isEmpty());
  QMenu* menu = hiddenButton_->menu();
  menu->clear();
  for (const auto& k : hidden) menu->addAction(tr("Show %1").arg(k), this, [this, k] { setHidden(k, false); });
  if (hidden.size() > 1)
    menu->addAction(tr("Show all"), this, [this, hidden] {
      for (const auto& k : hidden) layout_.hidden.remove(k);
      layoutChanged();
    });
}

double CurveDashboard::redrawAll() {
  double decimation = 0;
  for (CurvePlot* p : panels_)
    if (p->isVisible()) {
      p->redraw();
      decimation += p->lastRedrawMs();
      p->plot()->replot(QCustomPlot::rpImmediateRefresh);
    }
  return decimation;
}

void CurveDashboard::resetView() {
  for (CurvePlot* p : panels_) p->resetView();
}

void CurveDashboard::zoom(double factor) {
  for (CurvePlot* p : panels_) {
    const QCPRange r = p->plot()->xAxis->range();
    const double half = r.size() * factor / 2;
    p->setXRange(QCPRange(r.center() - half, r.center() + half));
  }
}

void CurveDashboard::setFilter(const QString& text) {
  filter_ = text.trimmed();
  if (search_->text().trimmed() != filter_) search_->setText(filter_);
  relayout();
}

void CurveDashboard::setSmoothing(double weight) {
  smoothing_ = weight;
  QSettings().setValue("plot/smoothing", static_cast<int>(std::lround(weight * 100)));
  for (CurvePlot* p : panels_) p->setSmoothing(weight);
}

void CurveDashboard::setXAxis(CurvePlot::XAxis axis) {
  xAxis_ = axis;
  QSettings().setValue("plot/xAxis", static_cast<int>(axis));
  for (CurvePlot* p : panels_) p->setXAxis(axis);
}

void CurveDashboard::setPinned(const QString& key, bool on) {
  layout_.setPinned(key, on);
  layoutChanged();
}

void CurveDashboard::setHidden(const QString& key, bool on) {
  setMember(layout_.hidden, key, on);
  layoutChanged();
}

void CurveDashboard::movePanel(const QString& key, int delta) {
  layout_.move(key, delta, keys_);
  layoutChanged();
}

void CurveDashboard::setCollapsed(const QString& section, bool on) {
  setMember(layout_.collapsed, section, on);
  layoutChanged();
}

void CurveDashboard::focusSearch() {
  search_->setFocus(Qt::ShortcutFocusReason);
  search_->selectAll();
}

void CurveDashboard::layoutChanged() {
  layout_.save(DashboardLayout::fileIn(session_.workspace()));
  relayout();
}

CurvePlot* CurveDashboard::panel(const QString& key) const { return panels_.value(key); }

void CurveDashboard::resizeEvent(QResizeEvent* event) {
  QWidget::resizeEvent(event);
  if (columns() != laidOutColumns_) relayout();
}

}  // namespace reef::ui

#include "ui/welcome/welcome_page.h"

#include <QFrame>
#include <QGridLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QVBoxLayout>

namespace reef::ui {

namespace {

// The summary's first sentences, up to about three lines of a card; the whole text is its tooltip.
QString shortSummary(const QString& text) {
  constexpr int kLength = 150;
  if (text.size() <= kLength) return text;
  const int end = text.lastIndexOf(". ", kLength);
  return end > 40 ? text.left(end + 1) : text.left(kLength).trimmed() + "...";
}

}  // namespace

WelcomePage::WelcomePage(const QList<FirstRun>& runs, const QString& unavailable, QWidget* parent) : QWidget(parent) {
  auto* outer = new QVBoxLayout(this);
  auto* scroll = new QScrollArea(this);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  outer->addWidget(scroll);
  auto* page = new QWidget(scroll);
  scroll->setWidget(page);
  auto* layout = new QVBoxLayout(page);
  layout->setContentsMargins(24, 16, 24, 16);

  auto* heading = new QLabel(tr("<h1>Welcome to Reef Studio</h1>"), page);
  auto* intro = new QLabel(
      tr("This workspace has no runs yet. Start with a first run: each card opens an example in the "
         "designer, where you can change any setting and press <b>Launch</b>. Curves appear as it trains; "
         "Details, Deploy and the Playground follow. The data comes from <code>scripts/prepare-data.sh</code>; "
         "times are on 2 CPU cores."),
      page);
  intro->setWordWrap(true);
  layout->addWidget(heading);
  layout->addWidget(intro);
  if (!unavailable.isEmpty()) {
    auto* why = new QLabel(tr("The examples cannot be opened: %1").arg(unavailable.toHtmlEscaped()), page);
    why->setWordWrap(true);
    why->setStyleSheet("color: #c22;");
    layout->addWidget(why);
  }

  auto* grid = new QGridLayout();
  grid->setSpacing(16);
  constexpr int kColumns = 3;
  for (int i = 0; i < runs.size(); ++i)
    grid->addWidget(card(runs[i], unavailable.isEmpty()), i / kColumns, i % kColumns);
  layout->addLayout(grid);
  if (runs.isEmpty()) layout->addWidget(new QLabel(tr("No example specs were found (REEF_RESOURCES)."), page));

  auto* bottom = new QHBoxLayout();
  skip_ = new QPushButton(tr("Go to the studio"), page);
  bottom->addWidget(skip_);
  bottom->addWidget(new QLabel(tr("or open a workspace that has runs: File > Open workspace."), page), 1);
  layout->addLayout(bottom);
  layout->addStretch(1);
  connect(skip_, &QPushButton::clicked, this, &WelcomePage::skip);
}

QWidget* WelcomePage::card(const FirstRun& run, bool enabled) {
  auto* frame = new QFrame(this);
  frame->setFrameShape(QFrame::StyledPanel);
  frame->setMinimumWidth(200);
  auto* layout = new QVBoxLayout(frame);
  auto* collection = new QLabel(run.collection.toUpper(), frame);
  collection->setStyleSheet("color: #777; font-size: small; letter-spacing: 1px;");
  auto* title = new QLabel(QString("<b>%1</b>").arg(run.title.toHtmlEscaped()), frame);
  title->setWordWrap(true);
  auto* time = new QLabel(tr("about %1").arg(run.time), frame);
  auto* summary = new QLabel(shortSummary(run.summary), frame);
  summary->setToolTip(run.summary);
  summary->setWordWrap(true);
  summary->setStyleSheet("color: #555;");
  auto* open = new QPushButton(tr("Open in the designer"), frame);
  open->setEnabled(enabled);
  open->setToolTip(run.path);
  connect(open, &QPushButton::clicked, this, [this, path = run.path] { emit openExample(path); });
  buttons_ << open;
  for (QWidget* w : {static_cast<QWidget*>(collection), static_cast<QWidget*>(title), static_cast<QWidget*>(time),
                     static_cast<QWidget*>(summary)})
    layout->addWidget(w);
  layout->addStretch(1);
  layout->addWidget(open);
  return frame;
}

}  // namespace reef::ui

#include "ui/runs/log_view.h"

#include "storage/workspace_index.h"
#include "ui/workspace_session.h"

#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QTimer>
#include <QVBoxLayout>

namespace reef::ui {

namespace {

const QString kEvents = "events";
const QString kLauncherLog = "launcher.log";

}  // namespace

LogView::LogView(WorkspaceSession& session, QWidget* parent) : QWidget(parent), session_(session) {
  auto* layout = new QVBoxLayout(this);
  auto* bar = new QHBoxLayout();
  source_ = new QComboBox(this);
  source_->setToolTip(
      tr("The engine's log events, or a file of the run's logs/ folder (launcher.log holds the "
         "progress lines)"));
  rank_ = new QComboBox(this);
  rank_->addItem(tr("all ranks"), -1);
  search_ = new QLineEdit(this);
  search_->setPlaceholderText(tr("Search the log"));
  search_->setClearButtonEnabled(true);
  bar->addWidget(new QLabel(tr("show"), this));
  bar->addWidget(source_);
  bar->addWidget(new QLabel(tr("rank"), this));
  bar->addWidget(rank_);
  bar->addWidget(search_, 1);
  layout->addLayout(bar);
  text_ = new QPlainTextEdit(this);
  text_->setReadOnly(true);
  text_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  text_->setMaximumBlockCount(100000);  // a long run's oldest lines go first
  layout->addWidget(text_, 1);
  follow_ = new QTimer(this);
  follow_->setInterval(kFollowIntervalMs);
  connect(follow_, &QTimer::timeout, this, [this] {
    if (sourceName() != kEvents) followFile();
  });
  connect(source_, &QComboBox::activated, this, &LogView::reload);
  connect(rank_, &QComboBox::activated, this, &LogView::reload);
  connect(search_, &QLineEdit::textChanged, this, &LogView::reload);
}

void LogView::setRun(qint64 run) {
  run_ = run;
  logsDir_.clear();
  if (run != 0) {
    try {
      logsDir_ = QString::fromStdString((session_.index().runPath(run) / "logs").string());
    } catch (const std::exception&) {
      // The run left the index (deleted): nothing to show.
    }
  }
  source_->clear();
  listSources();
  reload();
}

QString LogView::text() const { return text_->toPlainText(); }

QString LogView::sourceName() const { return source_->currentData().toString(); }

void LogView::setSource(const QString& name) {
  const int index = source_->findData(name);
  if (index < 0) return;
  source_->setCurrentIndex(index);
  reload();
}

void LogView::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  refresh();
  follow_->start();
}

void LogView::hideEvent(QHideEvent* event) {
  follow_->stop();
  QWidget::hideEvent(event);
}

// The choices: the events, then the files in logs/ (launcher.log first). The list is rebuilt only
// when files came or went, so an open choice is not disturbed; a new run starts on launcher.log
// where there is one (it has everything the engine printed, progress included).
void LogView::listSources() {
  QStringList names{kEvents};
  if (!logsDir_.isEmpty()) {
    QStringList files = QDir(logsDir_).entryList(QDir::Files, QDir::Name);
    if (files.removeAll(kLauncherLog) > 0) files.prepend(kLauncherLog);
    names += files;
  }
  QStringList shown;
  for (int i = 0; i < source_->count(); ++i) shown << source_->itemData(i).toString();
  if (shown == names) return;
  const QString keep = shown.isEmpty() ? (names.contains(kLauncherLog) ? kLauncherLog : kEvents) : sourceName();
  const QSignalBlocker block(source_);
  source_->clear();
  for (const QString& name : names) source_->addItem(name == kEvents ? tr("engine log events") : name, name);
  source_->setCurrentIndex(std::max(0, source_->findData(keep)));
}

void LogView::refresh() {
  if (run_ == 0) {
    text_->clear();
    return;
  }
  const QString before = sourceName();
  listSources();
  if (sourceName() != before || (sourceName() != kEvents && tail_.path().isEmpty()))
    reload();
  else if (sourceName() == kEvents)
    showEvents();
  else
    followFile();
}

void LogView::reload() {
  text_->clear();
  tail_ = LogTail();
  rank_->setEnabled(sourceName() == kEvents);
  if (run_ == 0) return;
  if (sourceName() == kEvents) {
    showEvents();
    return;
  }
  tail_ = LogTail(QDir(logsDir_).filePath(sourceName()));
  followFile();
}

void LogView::followFile() {
  bool restarted = false;
  const QStringList lines = tail_.read(&restarted);
  if (restarted) text_->clear();
  appendLines(lines);
}

void LogView::appendLines(const QStringList& lines) {
  const QString needle = search_->text();
  QStringList shown;
  for (const QString& line : lines)
    if (needle.isEmpty() || line.contains(needle, Qt::CaseInsensitive)) shown << line;
  if (shown.isEmpty()) return;
  QScrollBar* bar = text_->verticalScrollBar();
  const bool atEnd = bar->value() == bar->maximum();
  text_->appendPlainText(shown.join('\n'));
  if (atEnd) bar->setValue(bar->maximum());
}

void LogView::showEvents() {
  auto& db = session_.index().db();
  {
    auto ranks = db.prepare("SELECT DISTINCT rank FROM run_logs WHERE run_id = ? AND rank IS NOT NULL ORDER BY rank");
    ranks.bind(1, static_cast<int64_t>(run_));
    const QVariant keep = rank_->currentData();
    const QSignalBlocker block(rank_);
    while (rank_->count() > 1) rank_->removeItem(1);
    while (ranks.step()) rank_->addItem(tr("rank %1").arg(ranks.int64(0)), static_cast<int>(ranks.int64(0)));
    const int index = rank_->findData(keep);
    rank_->setCurrentIndex(index < 0 ? 0 : index);
  }
  const int rank = rank_->currentData().toInt();
  auto s = db.prepare(
      "SELECT time, level, rank, message FROM run_logs WHERE run_id = ? AND (? < 0 OR rank = ?) "
      "AND instr(lower(message), lower(?)) > 0 ORDER BY id");
  s.bind(1, static_cast<int64_t>(run_)).bind(2, rank).bind(3, rank).bind(4, search_->text().toStdString());
  QStringList lines;
  while (s.step())
    lines << QString("%1 [%2] rank %3  %4")
                 .arg(QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(s.real(0) * 1000)).toString("hh:mm:ss"))
                 .arg(QString::fromStdString(s.text(1)))
                 .arg(s.isNull(2) ? QString("-") : QString::number(s.int64(2)))
                 .arg(QString::fromStdString(s.text(3)));
  QScrollBar* bar = text_->verticalScrollBar();
  const bool atEnd = bar->value() == bar->maximum();
  text_->setPlainText(lines.join('\n'));
  if (atEnd) bar->setValue(bar->maximum());
}

}  // namespace reef::ui

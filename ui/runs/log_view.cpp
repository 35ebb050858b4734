#include "ui/runs/log_view.h"

#include "storage/workspace_index.h"
#include "ui/workspace_session.h"

#include <QComboBox>
#include <QDateTime>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QVBoxLayout>

namespace reef::ui {

LogView::LogView(WorkspaceSession& session, QWidget* parent) : QWidget(parent), session_(session) {
  auto* layout = new QVBoxLayout(this);
  auto* bar = new QHBoxLayout();
  rank_ = new QComboBox(this);
  rank_->addItem(tr("all ranks"), -1);
  search_ = new QLineEdit(this);
  search_->setPlaceholderText(tr("Search the log"));
  search_->setClearButtonEnabled(true);
  bar->addWidget(new QLabel(tr("rank"), this));
  bar->addWidget(rank_);
  bar->addWidget(search_, 1);
  layout->addLayout(bar);
  text_ = new QPlainTextEdit(this);
  text_->setReadOnly(true);
  text_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
  layout->addWidget(text_, 1);
  connect(rank_, &QComboBox::activated, this, &LogView::refresh);
  connect(search_, &QLineEdit::textChanged, this, &LogView::refresh);
}

void LogView::setRun(qint64 run) {
  run_ = run;
  refresh();
}

QString LogView::text() const { return text_->toPlainText(); }

void LogView::refresh() {
  if (run_ == 0) {
    text_->clear();
    return;
  }
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
  const bool atEnd = text_->verticalScrollBar()->value() == text_->verticalScrollBar()->maximum();
  text_->setPlainText(lines.join('\n'));
  if (atEnd) text_->verticalScrollBar()->setValue(text_->verticalScrollBar()->maximum());
}

}  // namespace reef::ui

#include "ui/runs/retrieval_view.h"

#include "ui/engine_client.h"
#include "ui/runs/retrieval_results.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProcess>
#include <QPushButton>
#include <QVBoxLayout>

namespace reef::ui {

RetrievalView::RetrievalView(QString reefBinary, QWidget* parent)
    : QWidget(parent), reefBinary_(std::move(reefBinary)) {
  auto* layout = new QVBoxLayout(this);
  auto* bar = new QHBoxLayout;
  query_ = new QLineEdit(this);
  query_->setPlaceholderText(tr("Describe an image, e.g. a photo of a dark wide sneaker"));
  split_ = new QComboBox(this);
  split_->addItems({"test", "val", "train"});
  split_->setToolTip(tr("Which split's images to search"));
  searchButton_ = new QPushButton(tr("Search"), this);
  bar->addWidget(query_, 1);
  bar->addWidget(split_);
  bar->addWidget(searchButton_);
  layout->addLayout(bar);
  results_ = new QListWidget(this);
  results_->setViewMode(QListView::IconMode);
  results_->setIconSize(QSize(96, 96));
  results_->setGridSize(QSize(150, 150));
  results_->setResizeMode(QListView::Adjust);
  results_->setMovement(QListView::Static);
  results_->setWordWrap(true);
  layout->addWidget(results_, 1);
  status_ = new QLabel(this);
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(status_);
  connect(searchButton_, &QPushButton::clicked, this, [this] { search(query_->text()); });
  connect(query_, &QLineEdit::returnPressed, this, [this] { search(query_->text()); });
}

RetrievalView::~RetrievalView() { stop(); }

void RetrievalView::stop() {
  // A search's handlers use this view's widgets: they must not run for a search it left.
  if (!process_) return;
  process_->disconnect(this);
  process_->kill();
  process_->waitForFinished();
  process_->deleteLater();
  process_ = nullptr;
  searchButton_->setEnabled(true);
}

void RetrievalView::setRun(const QString& runPath) {
  if (runPath == runPath_) return;
  stop();
  runPath_ = runPath;
  results_->clear();
  status_->clear();
}

void RetrievalView::search(const QString& query) {
  if (query.trimmed().isEmpty()) {
    status_->setText(tr("Type what to look for."));
    return;
  }
  stop();
  QString reef = reefBinary_;
  if (reef.isEmpty()) {
    try {
      reef = reefBinary();
    } catch (const std::exception& e) {
      status_->setText(QString::fromStdString(e.what()));
      Q_EMIT searchFinished(false);
      return;
    }
  }
  process_ = new QProcess(this);
  connect(process_, &QProcess::finished, this, [this](int exitCode) { finish(exitCode); });
  connect(process_, &QProcess::errorOccurred, this, [this, reef](QProcess::ProcessError error) {
    if (error != QProcess::FailedToStart) return;
    searchButton_->setEnabled(true);
    status_->setText(tr("Could not start %1: %2").arg(reef, process_->errorString()));
    Q_EMIT searchFinished(false);
  });
  status_->setText(tr("Searching %1 images for \"%2\"...").arg(split_->currentText(), query));
  searchButton_->setEnabled(false);
  process_->start(reef,
                  {"retrieve", runPath_, "--query", query, "--split", split_->currentText(), "--top", "24", "--json"});
}

void RetrievalView::finish(int exitCode) {
  searchButton_->setEnabled(true);
  if (exitCode != 0) {
    status_->setText(tr("reef retrieve failed: %1").arg(QString::fromUtf8(process_->readAllStandardError()).trimmed()));
    Q_EMIT searchFinished(false);
    return;
  }
  std::vector<RetrievalResult> found;
  try {
    found = parseRetrievalResults(process_->readAllStandardOutput());
  } catch (const std::exception& e) {
    status_->setText(QString::fromStdString(e.what()));
    Q_EMIT searchFinished(false);
    return;
  }
  results_->clear();
  for (const auto& r : found) {
    // Pixel art and 28-pixel garments: scaled up without smoothing so edges stay what the model saw.
    const QPixmap icon = QPixmap::fromImage(r.picture.scaled(96, 96, Qt::KeepAspectRatio, Qt::FastTransformation));
    auto* item = new QListWidgetItem(QIcon(icon), QString("%1\n%2").arg(r.text).arg(r.score, 0, 'f', 3), results_);
    item->setToolTip(QString("#%1 %2 (%3)\n%4").arg(r.rank).arg(r.text, r.source, r.image));
  }
  status_->setText(tr("%n image(s), most similar first.", nullptr, static_cast<int>(found.size())));
  Q_EMIT searchFinished(true);
}

}  // namespace reef::ui

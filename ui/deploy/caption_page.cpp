#include "ui/deploy/caption_page.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMimeData>
#include <QPixmap>
#include <QPushButton>
#include <QVBoxLayout>

namespace reef::ui {

namespace {

// The first local file among dropped URLs ("" when none).
QString droppedFile(const QMimeData* mime) {
  for (const QUrl& url : mime->urls())
    if (url.isLocalFile()) return url.toLocalFile();
  return {};
}

}  // namespace

CaptionPage::CaptionPage(QNetworkAccessManager* network, QWidget* parent) : PlaygroundPage(network, parent) {
  setAcceptDrops(true);
  auto* layout = new QHBoxLayout(this);
  auto* left = new QVBoxLayout;
  open_ = new QPushButton(tr("Open image..."), this);
  image_ = new QLabel(tr("Open or drop an image"), this);
  image_->setFixedSize(256, 256);
  image_->setAlignment(Qt::AlignCenter);
  image_->setWordWrap(true);
  image_->setStyleSheet("border: 1px dashed #999");
  left->addWidget(open_);
  left->addWidget(image_);
  left->addStretch();
  caption_ = new QLabel(this);
  caption_->setWordWrap(true);
  caption_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  caption_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
  QFont large = caption_->font();
  large.setPointSizeF(large.pointSizeF() * 1.6);
  caption_->setFont(large);
  layout->addLayout(left);
  layout->addWidget(caption_, 1);
  connect(open_, &QPushButton::clicked, this, [this] {
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Open an image"), {}, tr("Images (*.png *.jpg *.jpeg);;All files (*)"));
    if (!path.isEmpty()) captionFile(path);
  });
  updateControls();
}

void CaptionPage::serverChanged() { caption_->clear(); }

void CaptionPage::updateControls() { open_->setEnabled(serving() && !busy()); }

void CaptionPage::dragEnterEvent(QDragEnterEvent* event) {
  if (serving() && !busy() && !droppedFile(event->mimeData()).isEmpty()) event->acceptProposedAction();
}

void CaptionPage::dropEvent(QDropEvent* event) {
  const QString path = droppedFile(event->mimeData());
  if (path.isEmpty()) return;
  event->acceptProposedAction();
  captionFile(path);
}

void CaptionPage::captionFile(const QString& path) {
  if (!serving() || busy()) return;
  QFile file(path);
  if (!file.open(QIODevice::ReadOnly)) {
    showError(tr("Cannot read %1").arg(path));
    return;
  }
  const QByteArray bytes = file.readAll();
  QPixmap pixmap;
  if (pixmap.loadFromData(bytes))
    image_->setPixmap(pixmap.scaled(image_->size() - QSize(8, 8), Qt::KeepAspectRatio, Qt::FastTransformation));
  else
    image_->setText(tr("No preview: %1 is not an image Qt reads").arg(QFileInfo(path).fileName()));
  const std::string type = bytes.startsWith("\x89PNG") ? "image/png" : "image/jpeg";
  const Json part = {{"type", "image_url"},
                     {"image_url", {{"url", "data:" + type + ";base64," + bytes.toBase64().toStdString()}}}};
  const Json body = {{"model", modelId().toStdString()},
                     {"messages", {{{"role", "user"}, {"content", Json::array({part})}}}}};
  caption_->clear();
  Q_EMIT status(tr("Captioning..."));
  postJson("/v1/chat/completions", body, [this](const Json& result, qint64 ms) {
    const Json choices = result.value("choices", Json::array());
    const Json message = choices.empty() ? Json::object() : choices[0].value("message", Json::object());
    const QString text = QString::fromStdString(message.value("content", ""));
    caption_->setText(text);
    Q_EMIT status(tr("Captioned in %1 ms (%2 tokens).").arg(ms).arg(result["usage"].value("completion_tokens", 0)));
    Q_EMIT captioned(text);
  });
}

}  // namespace reef::ui

#include "ui/deploy/restoration_page.h"

#include <QHBoxLayout>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace reef::ui {

RestorationPage::RestorationPage(QNetworkAccessManager* network, QWidget* parent) : PlaygroundPage(network, parent) {
  auto* layout = new QVBoxLayout(this);
  input_ = new QPlainTextEdit(this);
  input_->setPlaceholderText(tr("Paste text without punctuation or capitals; the model restores both."));
  input_->setPlainText(tr("where are you going asked the old man i am going home to my wife"));
  layout->addWidget(input_, 1);
  auto* bar = new QHBoxLayout;
  bar->addStretch(1);
  restore_ = new QPushButton(tr("Restore"), this);
  bar->addWidget(restore_);
  layout->addLayout(bar);
  output_ = new QTextBrowser(this);
  output_->setPlaceholderText(tr("The restored text appears here."));
  layout->addWidget(output_, 1);
  connect(restore_, &QPushButton::clicked, this, &RestorationPage::restore);
  updateControls();
}

void RestorationPage::serverChanged() { output_->clear(); }

void RestorationPage::updateControls() { restore_->setEnabled(serving() && !busy()); }

void RestorationPage::restore() {
  const QString text = input_->toPlainText();
  if (!serving() || busy()) return;
  if (text.trimmed().isEmpty()) {
    Q_EMIT status(tr("Paste some text first."));
    return;
  }
  Q_EMIT status(tr("Restoring..."));
  const Json body = {{"model", modelId().toStdString()}, {"input", text.toStdString()}};
  postJson("/v1/punctuate", body, [this](const Json& result, qint64 ms) {
    const Json data = result.value("data", Json::array());
    const QString restoredText = QString::fromStdString(data.empty() ? "" : data[0].value("text", ""));
    output_->setPlainText(restoredText);
    Q_EMIT status(tr("Restored %1 words in %2 ms.").arg(restoredText.split(' ', Qt::SkipEmptyParts).size()).arg(ms));
    Q_EMIT restored(restoredText);
  });
}

}  // namespace reef::ui

#include "ui/deploy/transcription_page.h"

#include "backend/protocol/json.h"
#include "ui/deploy/api_error.h"

#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHttpMultiPart>
#include <QLabel>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QPushButton>
#include <QTableWidget>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace reef::ui {

namespace {

QHttpPart field(const QString& name, const QByteArray& value) {
  QHttpPart part;
  part.setHeader(QNetworkRequest::ContentDispositionHeader, QString("form-data; name=\"%1\"").arg(name));
  part.setBody(value);
  return part;
}

}  // namespace

TranscriptionPage::TranscriptionPage(QNetworkAccessManager* network, QWidget* parent)
    : QWidget(parent), network_(network) {
  auto* layout = new QVBoxLayout(this);
  auto* top = new QHBoxLayout;
  open_ = new QPushButton(tr("Open audio..."), this);
  file_ = new QLabel(tr("WAV, FLAC, OGG or MP3, any sample rate"), this);
  top->addWidget(open_);
  top->addWidget(file_, 1);
  layout->addLayout(top);
  text_ = new QTextBrowser(this);
  text_->setMaximumHeight(90);
  layout->addWidget(text_);
  words_ = new QTableWidget(0, 3, this);
  words_->setHorizontalHeaderLabels({tr("word"), tr("start (s)"), tr("end (s)")});
  words_->horizontalHeader()->setStretchLastSection(true);
  words_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  layout->addWidget(words_, 1);
  connect(open_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, tr("Speech to transcribe"), {},
                                                      tr("Audio (*.wav *.flac *.ogg *.mp3);;All files (*)"));
    if (!path.isEmpty()) transcribeFile(path);
  });
}

void TranscriptionPage::setServer(const QUrl& url, const QString& modelId) {
  if (reply_) reply_->abort();  // its answer would come from a server that has gone
  url_ = url;
  modelId_ = modelId;
  text_->clear();
  words_->setRowCount(0);
}

void TranscriptionPage::transcribeFile(const QString& path) {
  QFile file(path);
  if (reply_) return;
  if (url_.isEmpty() || !file.open(QIODevice::ReadOnly)) {
    Q_EMIT status(tr("Cannot read %1").arg(path.toHtmlEscaped()));
    return;
  }
  file_->setText(QFileInfo(path).fileName());
  auto* form = new QHttpMultiPart(QHttpMultiPart::FormDataType);
  QHttpPart audio;
  audio.setHeader(QNetworkRequest::ContentDispositionHeader,
                  QString("form-data; name=\"file\"; filename=\"%1\"").arg(QFileInfo(path).fileName()));
  audio.setBody(file.readAll());
  form->append(audio);
  form->append(field("model", modelId_.toUtf8()));
  form->append(field("response_format", "verbose_json"));
  form->append(field("timestamp_granularities[]", "word"));
  QNetworkReply* reply = reply_ =
      network_->post(QNetworkRequest(url_.resolved(QUrl("/v1/audio/transcriptions"))), form);
  form->setParent(reply);
  Q_EMIT status(tr("Transcribing..."));
  connect(reply, &QNetworkReply::finished, this, [this, reply] {
    reply->deleteLater();
    reply_.clear();
    const QByteArray answer = reply->readAll();
    if (reply->error() == QNetworkReply::OperationCanceledError) return;  // by setServer()
    words_->setRowCount(0);
    if (reply->error() != QNetworkReply::NoError) {
      text_->clear();
      Q_EMIT status("<span style='color:#c22'>" + apiErrorOf(reply, answer).toHtmlEscaped() + "</span>");
      return;
    }
    const Json result = Json::parse(answer.toStdString(), nullptr, false);
    if (result.is_discarded() || !result.contains("text")) return;
    text_->setPlainText(QString::fromStdString(result["text"].get<std::string>()));
    for (const auto& w : result.value("words", Json::array())) {
      const int row = words_->rowCount();
      words_->insertRow(row);
      words_->setItem(row, 0, new QTableWidgetItem(QString::fromStdString(w["word"].get<std::string>())));
      words_->setItem(row, 1, new QTableWidgetItem(QString::number(w["start"].get<double>(), 'f', 2)));
      words_->setItem(row, 2, new QTableWidgetItem(QString::number(w["end"].get<double>(), 'f', 2)));
    }
    Q_EMIT status(
        tr("%1 s of audio, %n word(s)", nullptr, words_->rowCount()).arg(result.value("duration", 0.0), 0, 'f', 1));
    Q_EMIT transcribed();
  });
}

}  // namespace reef::ui

#include "ui/deploy/playground_page.h"

#include "ui/deploy/api_error.h"

#include <QElapsedTimer>
#include <QHttpMultiPart>
#include <QNetworkAccessManager>
#include <QNetworkReply>

#include <memory>

namespace reef::ui {

PlaygroundPage::PlaygroundPage(QNetworkAccessManager* network, QWidget* parent) : QWidget(parent), network_(network) {}

void PlaygroundPage::setServer(const QUrl& url, const QString& modelId) {
  if (reply_) reply_->abort();  // its answer would come from a server that has gone
  url_ = url;
  modelId_ = modelId;
  serverChanged();
  updateControls();
}

void PlaygroundPage::showError(const QString& message) { Q_EMIT status(errorHtml(message)); }

void PlaygroundPage::postJson(const QString& endpoint, const Json& body,
                              std::function<void(const Json&, qint64)> done) {
  postJsonForBytes(endpoint, body, [this, done = std::move(done)](const QByteArray& answer, Timing timing) {
    const Json result = Json::parse(answer.toStdString(), nullptr, false);
    if (!result.is_object()) {
      showError(tr("The server's answer is not a JSON object: %1").arg(QString::fromUtf8(answer.left(200))));
      return;
    }
    done(result, timing.allMs);
  });
}

void PlaygroundPage::postJsonForBytes(const QString& endpoint, const Json& body, BytesDone done) {
  if (!serving() || busy()) return;
  QNetworkRequest request(url_.resolved(QUrl(endpoint)));
  request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
  follow(network_->post(request, QByteArray::fromStdString(body.dump())), std::move(done));
}

void PlaygroundPage::postForm(const QString& endpoint, QHttpMultiPart* form, BytesDone done) {
  if (!serving() || busy()) {
    delete form;
    return;
  }
  QNetworkReply* reply = network_->post(QNetworkRequest(url_.resolved(QUrl(endpoint))), form);
  form->setParent(reply);
  follow(reply, std::move(done));
}

void PlaygroundPage::follow(QNetworkReply* reply, BytesDone done) {
  reply_ = reply;
  updateControls();
  auto clock = std::make_shared<QElapsedTimer>();
  clock->start();
  auto firstMs = std::make_shared<qint64>(-1);
  connect(reply, &QNetworkReply::readyRead, this, [clock, firstMs] {
    if (*firstMs < 0) *firstMs = clock->elapsed();
  });
  connect(reply, &QNetworkReply::finished, this, [this, reply, clock, firstMs, done = std::move(done)] {
    reply->deleteLater();
    reply_.clear();  // now, not when the deferred delete runs
    updateControls();
    const QByteArray answer = reply->readAll();
    if (reply->error() == QNetworkReply::OperationCanceledError) return;  // by setServer()
    if (reply->error() != QNetworkReply::NoError) {
      showError(apiErrorOf(reply, answer));
      return;
    }
    const qint64 allMs = clock->elapsed();
    done(answer, {*firstMs < 0 ? allMs : *firstMs, allMs});
  });
}

}  // namespace reef::ui

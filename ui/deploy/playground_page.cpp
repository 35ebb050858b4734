#include "ui/deploy/playground_page.h"

#include "ui/deploy/api_error.h"

#include <QElapsedTimer>
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
  if (!serving() || busy()) return;
  QNetworkRequest request(url_.resolved(QUrl(endpoint)));
  request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
  QNetworkReply* reply = reply_ = network_->post(request, QByteArray::fromStdString(body.dump()));
  updateControls();
  auto clock = std::make_shared<QElapsedTimer>();
  clock->start();
  connect(reply, &QNetworkReply::finished, this, [this, reply, clock, done = std::move(done)] {
    reply->deleteLater();
    reply_.clear();  // now, not when the deferred delete runs
    updateControls();
    const QByteArray answer = reply->readAll();
    if (reply->error() == QNetworkReply::OperationCanceledError) return;  // by setServer()
    const Json result = Json::parse(answer.toStdString(), nullptr, false);
    if (reply->error() != QNetworkReply::NoError || !result.is_object()) {
      showError(apiErrorOf(reply, answer));
      return;
    }
    done(result, clock->elapsed());
  });
}

}  // namespace reef::ui

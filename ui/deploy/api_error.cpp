#include "ui/deploy/api_error.h"

#include "backend/protocol/json.h"

#include <QNetworkReply>

namespace reef::ui {

QString apiErrorOf(QNetworkReply* reply, const QByteArray& body) {
  const Json j = Json::parse(body.toStdString(), nullptr, false);
  if (!j.is_discarded() && j.contains("error") && j["error"].contains("message"))
    return QString::fromStdString(j["error"]["message"].get<std::string>());
  return reply->errorString();
}

QString errorHtml(const QString& message) { return "<span style='color:#c22'>" + message.toHtmlEscaped() + "</span>"; }

}  // namespace reef::ui

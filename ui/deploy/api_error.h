#pragma once
// The message a Playground shows for a failed request: the OpenAI error object's message that
// `reef serve` sends, or the network's own error when there is none; and how errors are shown.
#include <QByteArray>
#include <QString>

class QNetworkReply;

namespace reef::ui {

QString apiErrorOf(QNetworkReply* reply, const QByteArray& body);
// `message` as the red HTML the Playground's status line shows errors in.
QString errorHtml(const QString& message);

}  // namespace reef::ui

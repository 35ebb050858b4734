#pragma once
// The message a Playground shows for a failed request: the OpenAI error object's message that
// `reef serve` sends, or the network's own error when there is none.
#include <QByteArray>
#include <QString>

class QNetworkReply;

namespace reef::ui {

QString apiErrorOf(QNetworkReply* reply, const QByteArray& body);

}  // namespace reef::ui

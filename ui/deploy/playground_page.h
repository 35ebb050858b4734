#pragma once
// What the Playground's JSON pages share: the server they talk to, the one request in flight
// (abandoned when the server changes), its time, and the server's error shown as the status.
#include "backend/protocol/json.h"

#include <QPointer>
#include <QUrl>
#include <QWidget>

#include <functional>

class QNetworkAccessManager;
class QNetworkReply;

namespace reef::ui {

class PlaygroundPage : public QWidget {
  Q_OBJECT
 public:
  PlaygroundPage(QNetworkAccessManager* network, QWidget* parent = nullptr);
  // The server to talk to (empty url: none).
  void setServer(const QUrl& url, const QString& modelId);

 Q_SIGNALS:
  // A line for the Playground's status (what is happening, or the server's error as HTML).
  void status(const QString& html);

 protected:
  // Clears what came from the previous server.
  virtual void serverChanged() = 0;
  // Enables the controls that send while serving() and not busy().
  virtual void updateControls() = 0;
  bool serving() const { return !url_.isEmpty(); }
  bool busy() const { return !reply_.isNull(); }
  const QString& modelId() const { return modelId_; }
  // POSTs `body` to `endpoint`; `done` gets a 200's JSON answer and the milliseconds it took, an
  // error goes to status(). Nothing is sent while busy().
  void postJson(const QString& endpoint, const Json& body, std::function<void(const Json&, qint64)> done);
  void showError(const QString& message);

 private:
  QNetworkAccessManager* network_;
  QUrl url_;
  QString modelId_;
  QPointer<QNetworkReply> reply_;
};

}  // namespace reef::ui

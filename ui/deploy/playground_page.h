#pragma once
// What the Playground's pages share: the server they talk to, the one request in flight
// (abandoned when the server changes), its times, and the server's error shown as the status.
#include "backend/protocol/json.h"

#include <QPointer>
#include <QUrl>
#include <QWidget>

#include <functional>

class QHttpMultiPart;
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
  // When an answer came: its first bytes and the whole of it, in milliseconds after sending.
  struct Timing {
    qint64 firstMs = 0;
    qint64 allMs = 0;
  };
  using BytesDone = std::function<void(const QByteArray&, Timing)>;

  // Clears what came from the previous server.
  virtual void serverChanged() = 0;
  // Enables the controls that send while serving() and not busy().
  virtual void updateControls() = 0;
  bool serving() const { return !url_.isEmpty(); }
  bool busy() const { return !reply_.isNull(); }
  const QString& modelId() const { return modelId_; }
  // POSTs `body` to `endpoint`; `done` gets a 2xx answer's JSON and the milliseconds it took.
  void postJson(const QString& endpoint, const Json& body, std::function<void(const Json&, qint64)> done);
  // The same, for an answer that is not JSON (audio): `done` gets its bytes.
  void postJsonForBytes(const QString& endpoint, const Json& body, BytesDone done);
  // POSTs a multipart form, which the request takes over.
  void postForm(const QString& endpoint, QHttpMultiPart* form, BytesDone done);
  void showError(const QString& message);

 private:
  // Follows `reply` to its end: an error goes to status(), an answer to `done`; nothing when it
  // was abandoned by setServer().
  void follow(QNetworkReply* reply, BytesDone done);

  QNetworkAccessManager* network_;
  QUrl url_;
  QString modelId_;
  QPointer<QNetworkReply> reply_;
};

}  // namespace reef::ui

#pragma once
// A `reef serve` of this build in a child process on a free port of 127.0.0.1, for the suites that
// talk to it over HTTP: its port (read from the banner), an httplib client with or without the
// API key, and a SIGTERM stop that reports what the server printed.
#include <httplib.h>

#include <QElapsedTimer>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace reef::test {

// A running `reef serve`; stopped with SIGTERM when the test is done with it.
class ReefServer {
 public:
  static inline const QString kKey = "sk-reef-test";

  // `key` empty: open to any client, as the studio's Deploy starts it.
  ReefServer(const QString& target, const QStringList& extra = {}, const QString& key = kKey) {
    const QStringList auth = key.isEmpty() ? QStringList{} : QStringList{"--api-key", key};
    process_.start(REEF_BINARY, QStringList{"serve", target, "--port", "0"} + auth + extra);
    QElapsedTimer t;
    t.start();
    while (port_ == 0 && t.elapsed() < 60000 && process_.state() != QProcess::NotRunning) {
      process_.waitForReadyRead(200);
      banner_ += QString::fromUtf8(process_.readAllStandardOutput());
      const auto at = banner_.indexOf("on http://127.0.0.1:");
      if (at >= 0 && banner_.indexOf('\n', at) > 0) port_ = banner_.mid(at + 20).section('\n', 0, 0).toInt();
    }
  }
  ~ReefServer() {
    if (process_.state() != QProcess::NotRunning) {
      process_.kill();
      process_.waitForFinished();
    }
  }
  int port() const { return port_; }
  QString banner() const { return banner_ + QString::fromUtf8(process_.readAllStandardError()); }
  bool running() const { return process_.state() == QProcess::Running; }
  httplib::Client client(bool authorised = true) const {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    if (authorised) c.set_bearer_token_auth(kKey.toStdString());
    return c;
  }
  // SIGTERM: the server finishes and says how many requests it answered.
  int stop(QString& out) {
    process_.terminate();
    process_.waitForFinished(20000);
    out = QString::fromUtf8(process_.readAllStandardOutput());
    return process_.exitStatus() == QProcess::NormalExit ? process_.exitCode() : -1;
  }

 private:
  mutable QProcess process_;
  QString banner_;
  int port_ = 0;
};

}  // namespace reef::test

#pragma once
// A `reef serve` started from the studio for one run: the child process, the address it printed,
// what it prints (the server's log), and its request counters and latency read from /metrics
// once a second. Stopped with SIGTERM, so the server finishes what it is answering.
#include <QObject>
#include <QProcess>
#include <QUrl>

class QNetworkAccessManager;
class QTimer;

namespace reef::ui {

// From /metrics: the requests answered and in flight, the latency of the model's endpoints (the
// studio's own /metrics and /health polling excluded) and, for a language model, how many
// sequences decode together and how many requests wait for room.
struct ServeCounts {
  qint64 requests = 0, inFlight = 0;
  qint64 decoding = 0, waiting = 0;  // language models: sequences in the running batch, requests waiting
  qint64 timed = 0;                  // requests in the latency histogram
  double meanMs = 0;                 // their mean latency
  double p95UpperMs = 0;             // the histogram bound that 95 % of them stay under
};
ServeCounts parseServeMetrics(const QByteArray& prometheusText);

class ServeProcess : public QObject {
  Q_OBJECT
 public:
  explicit ServeProcess(QString reefBinary, QObject* parent = nullptr);
  ~ServeProcess() override;

  // Serves `target` (a run directory or bundle) on 127.0.0.1, on a free port.
  void start(const QString& target);
  void stop();
  bool running() const;
  QUrl url() const { return url_; }
  QString modelId() const { return modelId_; }
  qint64 requests() const { return requests_; }

 Q_SIGNALS:
  void started(const QUrl& url, const QString& modelId);
  void statsChanged(const ServeCounts& counts);
  void output(const QString& text);  // what the server printed since the last time
  // The server ended: `error` is empty after stop(), else what it printed last.
  void stopped(const QString& error);

 private:
  void readOutput();
  void poll();

  QString reef_;
  QProcess process_;
  QByteArray output_;
  QUrl url_;
  QString modelId_;
  qint64 requests_ = 0;
  bool stopping_ = false;
  QNetworkAccessManager* network_;
  QTimer* timer_;
};

}  // namespace reef::ui

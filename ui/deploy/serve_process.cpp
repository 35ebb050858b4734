#include "ui/deploy/serve_process.h"

#include <QMap>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRegularExpression>
#include <QTimer>

#include <cmath>

#include <signal.h>
#include <sys/prctl.h>

namespace reef::ui {

namespace {

// The latency histogram over the model's endpoints: cumulative counts per bound, sum and count.
void addLatency(const QString& text, ServeCounts& c) {
  static const QRegularExpression bucket(
      R"re(^reef_request_duration_seconds_bucket\{endpoint="([^"]*)",le="([^"]+)"\} (\d+)$)re",
      QRegularExpression::MultilineOption);
  static const QRegularExpression sum(R"re(^reef_request_duration_seconds_sum\{endpoint="([^"]*)"\} (\S+)$)re",
                                      QRegularExpression::MultilineOption);
  auto counted = [](const QString& endpoint) { return endpoint != "/metrics" && endpoint != "/health"; };
  QMap<double, qint64> cumulative;  // bound (seconds) -> requests at or under it
  for (auto it = bucket.globalMatch(text); it.hasNext();) {
    const auto m = it.next();
    if (!counted(m.captured(1))) continue;
    const double bound = m.captured(2) == "+Inf" ? INFINITY : m.captured(2).toDouble();
    cumulative[bound] += m.captured(3).toLongLong();
    if (std::isinf(bound)) c.timed += m.captured(3).toLongLong();
  }
  double seconds = 0;
  for (auto it = sum.globalMatch(text); it.hasNext();) {
    const auto m = it.next();
    if (counted(m.captured(1))) seconds += m.captured(2).toDouble();
  }
  if (c.timed == 0) return;
  c.meanMs = seconds / static_cast<double>(c.timed) * 1000;
  for (auto it = cumulative.cbegin(); it != cumulative.cend(); ++it)
    if (static_cast<double>(it.value()) >= 0.95 * static_cast<double>(c.timed)) {
      c.p95UpperMs = it.key() * 1000;
      break;
    }
}

}  // namespace

ServeCounts parseServeMetrics(const QByteArray& bytes) {
  ServeCounts c;
  const QString text = QString::fromUtf8(bytes);
  static const QRegularExpression total(R"re(^reef_requests_total\{endpoint="([^"]*)",status="\d+"\} (\d+)$)re",
                                        QRegularExpression::MultilineOption);
  for (auto it = total.globalMatch(text); it.hasNext();) {
    const auto m = it.next();
    if (m.captured(1) != "/metrics") c.requests += m.captured(2).toLongLong();
  }
  static const QRegularExpression inFlight(R"(^reef_requests_in_flight (\d+)$)", QRegularExpression::MultilineOption);
  const auto m = inFlight.match(text);
  // The /metrics request being answered counts itself as in flight.
  if (m.hasMatch()) c.inFlight = std::max<qint64>(0, m.captured(1).toLongLong() - 1);
  static const QRegularExpression decoding(R"(^reef_generation_sequences (\d+)$)", QRegularExpression::MultilineOption);
  static const QRegularExpression waiting(R"(^reef_generation_waiting (\d+)$)", QRegularExpression::MultilineOption);
  c.decoding = decoding.match(text).captured(1).toLongLong();
  c.waiting = waiting.match(text).captured(1).toLongLong();
  addLatency(text, c);
  return c;
}

ServeProcess::ServeProcess(QString reefBinary, QObject* parent)
    : QObject(parent),
      reef_(std::move(reefBinary)),
      network_(new QNetworkAccessManager(this)),
      timer_(new QTimer(this)) {
  process_.setProcessChannelMode(QProcess::MergedChannels);
  connect(&process_, &QProcess::readyRead, this, &ServeProcess::readOutput);
  connect(&process_, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
    timer_->stop();
    url_.clear();
    QString error;
    if (!stopping_ || status != QProcess::NormalExit || code != 0) {
      const QString text = QString::fromUtf8(output_).trimmed();
      error = text.isEmpty() ? tr("reef serve exited with status %1").arg(code) : text.section('\n', -3);
    }
    stopping_ = false;
    Q_EMIT stopped(error);
  });
  connect(&process_, &QProcess::errorOccurred, this, [this](QProcess::ProcessError e) {
    if (e == QProcess::FailedToStart) Q_EMIT stopped(tr("cannot start %1: %2").arg(reef_, process_.errorString()));
  });
  timer_->setInterval(1000);
  connect(timer_, &QTimer::timeout, this, &ServeProcess::poll);
}

ServeProcess::~ServeProcess() {
  if (process_.state() != QProcess::NotRunning) {
    stopping_ = true;
    process_.terminate();
    if (!process_.waitForFinished(5000)) process_.kill();
    process_.waitForFinished(1000);
  }
}

void ServeProcess::start(const QString& target) {
  if (running()) return;
  output_.clear();
  requests_ = 0;
  stopping_ = false;
  // The studio's own requests carry no key: a REEF_API_KEY of the user's shell is not passed on.
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  env.remove("REEF_API_KEY");
  process_.setProcessEnvironment(env);
  // A studio that is killed cannot stop its server: the server then stops itself (measured: after
  // SIGTERM to the studio, its `reef serve` kept the port until killed by hand).
  process_.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
  process_.start(reef_, {"serve", target, "--port", "0"});
}

void ServeProcess::stop() {
  if (!running()) return;
  stopping_ = true;
  process_.terminate();
}

bool ServeProcess::running() const { return process_.state() != QProcess::NotRunning; }

void ServeProcess::readOutput() {
  const QByteArray more = process_.readAll();
  output_ += more;
  Q_EMIT output(QString::fromUtf8(more));
  if (!url_.isEmpty()) return;
  // The model id may contain spaces (exp.name is free text); the description has no parentheses.
  static const QRegularExpression banner(R"(^reef serve: (.+?) \(([^()]*)\) on (http://\S+))",
                                         QRegularExpression::MultilineOption);
  const auto m = banner.match(QString::fromUtf8(output_));
  if (!m.hasMatch()) return;
  modelId_ = m.captured(1);
  url_ = QUrl(m.captured(3));
  timer_->start();
  Q_EMIT started(url_, modelId_);
}

void ServeProcess::poll() {
  if (url_.isEmpty()) return;
  QNetworkReply* reply = network_->get(QNetworkRequest(url_.resolved(QUrl("/metrics"))));
  connect(reply, &QNetworkReply::finished, this, [this, reply] {
    reply->deleteLater();
    if (reply->error() != QNetworkReply::NoError) return;
    const ServeCounts c = parseServeMetrics(reply->readAll());
    requests_ = c.requests;
    Q_EMIT statsChanged(c);
  });
}

}  // namespace reef::ui

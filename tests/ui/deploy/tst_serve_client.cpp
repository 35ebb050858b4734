// The studio's pure pieces of talking to `reef serve`: server-sent events split at every possible
// byte across network chunks, comments and multi-line data, and the request counters read from
// /metrics (its own polling excluded).
#include "ui/deploy/serve_process.h"
#include "ui/deploy/sse_parser.h"

#include <QtTest>

using namespace reef::ui;

class TestServeClient : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void eventsSurviveAnySplit() {
    const QByteArray stream =
        "data: {\"a\":1}\n\n: a comment\n\ndata: {\"b\":\ndata: 2}\r\n\r\nevent: x\ndata: [DONE]\n\n";
    const QList<QByteArray> expected{"{\"a\":1}", "{\"b\":\n2}", "[DONE]"};
    for (int cut = 0; cut <= stream.size(); ++cut) {
      SseParser parser;
      QList<QByteArray> got = parser.feed(stream.left(cut));
      got += parser.feed(stream.mid(cut));
      QCOMPARE(got.size(), 3);
      QCOMPARE(got, expected);
    }
    SseParser parser;
    QCOMPARE(parser.feed("data: a\ndata: b\n\n"), QList<QByteArray>{"a\nb"});
    QVERIFY(parser.feed("data: incomplete\n").isEmpty());
  }

  void metricsCountRequestsButNotThePolling() {
    const QByteArray text =
        "# TYPE reef_requests_total counter\n"
        "reef_requests_total{endpoint=\"/metrics\",status=\"200\"} 7\n"
        "reef_requests_total{endpoint=\"/v1/classify\",status=\"200\"} 40\n"
        "reef_requests_total{endpoint=\"/v1/classify\",status=\"400\"} 2\n"
        "reef_requests_total{endpoint=\"/health\",status=\"200\"} 1\n"
        "reef_request_duration_seconds_count{endpoint=\"/v1/classify\"} 42\n"
        "reef_requests_in_flight 3\n";
    const ServeCounts c = parseServeMetrics(text);
    QCOMPARE(c.requests, qint64(43));
    QCOMPARE(c.inFlight, qint64(2));
    QCOMPARE(parseServeMetrics("").requests, qint64(0));
  }
};

QTEST_APPLESS_MAIN(TestServeClient)
#include "tst_serve_client.moc"

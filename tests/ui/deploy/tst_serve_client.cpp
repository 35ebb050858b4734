// The studio's pure pieces of talking to `reef serve`: server-sent events split at every possible
// byte across network chunks, comments and multi-line data, the request counters and latency
// read from /metrics (its own polling excluded), the curl commands the Deploy tab offers, run by a
// real shell, and a microphone recording as the Playground uploads it.
#include "backend/protocol/audio/audio_file.h"
#include "backend/protocol/json.h"
#include "ui/audio/recording_upload.h"
#include "ui/deploy/client_snippets.h"
#include "ui/deploy/serve_process.h"
#include "ui/deploy/sse_parser.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>

namespace {

// The JSON body a snippet's curl would send: bash runs it with `curl` replaced by a function
// that prints the -d argument.
reef::Json curlBody(const QString& snippet, const QString& workDir) {
  QProcess bash;
  bash.setWorkingDirectory(workDir);
  bash.start("bash", {"-c", "curl() { while [ $# -gt 0 ]; do [ \"$1\" = -d ] && printf '%s' \"$2\"; shift; done; }\n" +
                                snippet});
  bash.waitForFinished();
  return reef::Json::parse(bash.readAllStandardOutput().toStdString(), nullptr, false);
}

}  // namespace

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

  // SSE lines may end with CR alone. Found by fuzzing: "\r\r\n" read whole gave other events than
  // the same bytes in two chunks, as CRLFs were replaced in the buffer rather than read as line ends.
  void everyLineEndOfTheStandardIsOne() {
    const QByteArray stream = "data: a\rdata: b\r\rdata: c\r\r\ndata\n\n";
    const QList<QByteArray> expected{"a\nb", "c", ""};
    for (int cut = 0; cut <= stream.size(); ++cut) {
      SseParser parser;
      QList<QByteArray> got = parser.feed(stream.left(cut));
      got += parser.feed(stream.mid(cut));
      QCOMPARE(got, expected);
    }
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
    QCOMPARE(c.timed, qint64(0));     // no histogram buckets: no latency
    QCOMPARE(c.decoding, qint64(0));  // a classifier: no generation gauges
  }

  void generationBatchFromTheGauges() {
    const ServeCounts c = parseServeMetrics(
        "# TYPE reef_generation_sequences gauge\nreef_generation_sequences 12\n"
        "# TYPE reef_generation_waiting gauge\nreef_generation_waiting 3\n");
    QCOMPARE(c.decoding, qint64(12));
    QCOMPARE(c.waiting, qint64(3));
  }

  void latencyOfTheModelEndpointsOnly() {
    const QByteArray text =
        "reef_request_duration_seconds_bucket{endpoint=\"/v1/classify\",le=\"0.005\"} 10\n"
        "reef_request_duration_seconds_bucket{endpoint=\"/v1/classify\",le=\"0.01\"} 18\n"
        "reef_request_duration_seconds_bucket{endpoint=\"/v1/classify\",le=\"0.025\"} 20\n"
        "reef_request_duration_seconds_bucket{endpoint=\"/v1/classify\",le=\"+Inf\"} 20\n"
        "reef_request_duration_seconds_sum{endpoint=\"/v1/classify\"} 0.12\n"
        "reef_request_duration_seconds_bucket{endpoint=\"/metrics\",le=\"0.005\"} 0\n"
        "reef_request_duration_seconds_bucket{endpoint=\"/metrics\",le=\"+Inf\"} 500\n"
        "reef_request_duration_seconds_sum{endpoint=\"/metrics\"} 90\n";
    const ServeCounts c = parseServeMetrics(text);
    QCOMPARE(c.timed, qint64(20));
    QCOMPARE(c.meanMs, 6.0);
    QCOMPARE(c.p95UpperMs, 25.0);  // 18 of 20 under 10 ms, all 20 under 25 ms
  }

  void snippetsCallTheServedModel() {
    const QUrl server("http://127.0.0.1:8123");
    const QString model = "it's \"quoted\"";  // a free-text exp.name
    const ClientSnippets chat = clientSnippets(server, model, "chat");
    QVERIFY(chat.curl.startsWith("curl http://127.0.0.1:8123/v1/chat/completions"));
    QTemporaryDir dir;
    const reef::Json body = curlBody(chat.curl, dir.path());
    QCOMPARE(body["model"].get<std::string>(), model.toStdString());
    QCOMPARE(body["messages"][0]["role"].get<std::string>(), std::string("user"));
    QVERIFY(chat.python.contains("base_url=\"http://127.0.0.1:8123/v1\""));
    QVERIFY(chat.python.contains("model=\"it's \\\"quoted\\\"\""));
    QCOMPARE(chat.pythonLabel, QString("Python (openai)"));

    QFile png(dir.filePath("digit.png"));
    QVERIFY(png.open(QIODevice::WriteOnly));
    png.write("\x89PNG fake bytes");
    png.close();
    const reef::Json image = curlBody(clientSnippets(server, "digits", "image_classification").curl, dir.path());
    QCOMPARE(image["model"].get<std::string>(), std::string("digits"));
    QCOMPARE(image["input"].get<std::string>(), std::string("data:image/png;base64,") + "iVBORyBmYWtlIGJ5dGVz");
    const reef::Json text = curlBody(clientSnippets(server, model, "text_classification").curl, dir.path());
    QCOMPARE(text["model"].get<std::string>(), model.toStdString());
    QVERIFY(text["input"].is_string());
    QCOMPARE(shellQuoted("a'b"), QString("'a'\\''b'"));
  }

  // A sound card at 48 kHz: sent at 16, the tone's pitch, level and length kept; one at 16 kHz or
  // below: sent as recorded.
  void recordingsAreUploadedAt16kHzAtMost() {
    namespace audio = reef::protocol::audio;
    const auto tone = [](int rate, double seconds) {
      std::vector<float> s(static_cast<size_t>(rate * seconds));
      for (size_t i = 0; i < s.size(); ++i) s[i] = 0.5f * static_cast<float>(std::sin(2 * M_PI * 440 * i / rate));
      return s;
    };
    const audio::Audio sent = audio::decodeAudio(recordingUpload(tone(48000, 3), 48000));
    QCOMPARE(sent.sampleRate, 16000);
    QVERIFY2(std::abs(sent.seconds() - 3) < 0.01, qPrintable(QString::number(sent.seconds())));
    int crossings = 0;
    float peak = 0;
    for (size_t i = 1; i < sent.samples.size(); ++i) {
      crossings += (sent.samples[i - 1] < 0) != (sent.samples[i] < 0);
      peak = std::max(peak, std::abs(sent.samples[i]));
    }
    QVERIFY2(std::abs(crossings - 2 * 440 * 3) <= 4, qPrintable(QString::number(crossings)));
    QVERIFY2(std::abs(peak - 0.5f) < 0.01f, qPrintable(QString::number(peak)));
    // The longest recording the page takes (three minutes), of noise, which FLAC cannot shrink,
    // stays under the server's 8 MB body limit.
    std::vector<float> noise(48000 * 180);
    uint32_t state = 1;
    for (float& x : noise) x = static_cast<float>((state = state * 1664525u + 1013904223u) >> 8) / (1 << 24) - 0.5f;
    QVERIFY(recordingUpload(noise, 48000).size() < 8u * 1024 * 1024);
    for (const int rate : {16000, 8000}) {
      const std::vector<float> recorded = tone(rate, 1);
      const audio::Audio kept = audio::decodeAudio(recordingUpload(recorded, rate));
      QCOMPARE(kept.sampleRate, rate);
      QCOMPARE(kept.samples.size(), recorded.size());
      for (size_t i = 0; i < recorded.size(); ++i)
        QVERIFY(std::abs(kept.samples[i] - recorded[i]) < 2.0f / 32768);  // 16-bit
    }
  }
};

QTEST_APPLESS_MAIN(TestServeClient)
#include "tst_serve_client.moc"

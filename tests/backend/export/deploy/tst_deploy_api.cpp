// The torch-free parts of `reef serve`: OpenAI request checks (each bad field named), the chat
// rendering (with image_url parts for captioners), punctuation requests, response shapes, image decoding (PNG written
// by stb_image_write, pixel arrays, broken input), transcription forms and their three answer formats, the dynamic
// batcher (fills, waits at most its bound, fails a batch together) and the Prometheus text.
#include "backend/export/deploy/dynamic_batcher.h"
#include "backend/export/deploy/image_input.h"
#include "backend/export/deploy/openai_protocol.h"
#include "backend/export/deploy/serving_metrics.h"
#include "backend/protocol/base64.h"

#include <stb/stb_image_write.h>

#include <QtTest>

#include <atomic>
#include <thread>
#include <tuple>

using namespace reef;
using namespace reef::deploy;

namespace {

// The ApiError a parse throws, or a failure when it throws none.
template <typename F>
ApiError errorOf(F&& f) {
  try {
    f();
  } catch (const ApiError& e) {
    return e;
  }
  return ApiError(0, "", "no error");
}

std::string pngBase64(int w, int h, int channels, const std::vector<uint8_t>& pixels) {
  std::string png;
  stbi_write_png_to_func(
      [](void* ctx, void* data, int size) { static_cast<std::string*>(ctx)->append(static_cast<char*>(data), size); },
      &png, w, h, channels, pixels.data(), w * channels);
  return protocol::encodeBase64(png);
}

}  // namespace

class TestDeployApi : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void completionDefaultsAndValues() {
    const auto r = parseCompletionRequest(
        R"({"model":"m","prompt":"hi","max_tokens":5,"temperature":0,"top_p":0.5,"stop":"\n","seed":9,"stream":true,"user":"x"})");
    QCOMPARE(r.model, std::string("m"));
    QCOMPARE(r.prompt, std::string("hi"));
    QCOMPARE(r.maxTokens, int64_t(5));
    QCOMPARE(r.temperature, 0.0);
    QCOMPARE(r.topP, 0.5);
    QCOMPARE(r.stop, std::vector<std::string>{"\n"});
    QCOMPARE(*r.seed, uint64_t(9));
    QVERIFY(r.stream && !r.chat);
    const auto d = parseCompletionRequest(R"({"model":"m","prompt":["one"],"temperature":null})");
    QCOMPARE(d.maxTokens, int64_t(16));  // OpenAI's default for completions
    QCOMPARE(d.temperature, 1.0);
    QCOMPARE(d.prompt, std::string("one"));
  }

  void badFieldsAreNamed_data() {
    QTest::addColumn<QString>("body");
    QTest::addColumn<QString>("param");
    QTest::newRow("no model") << R"({"prompt":"a"})"
                              << "model";
    QTest::newRow("model type") << R"({"model":3,"prompt":"a"})"
                                << "model";
    QTest::newRow("prompt list") << R"({"model":"m","prompt":["a","b"]})"
                                 << "prompt";
    QTest::newRow("fractional max_tokens") << R"({"model":"m","prompt":"a","max_tokens":2.5})"
                                           << "max_tokens";
    QTest::newRow("zero max_tokens") << R"({"model":"m","prompt":"a","max_tokens":0})"
                                     << "max_tokens";
    QTest::newRow("top_p") << R"({"model":"m","prompt":"a","top_p":1.5})"
                           << "top_p";
    QTest::newRow("stream type") << R"({"model":"m","prompt":"a","stream":"yes"})"
                                 << "stream";
    QTest::newRow("five stops") << R"({"model":"m","prompt":"a","stop":["a","b","c","d","e"]})"
                                << "stop";
    QTest::newRow("empty stop") << R"({"model":"m","prompt":"a","stop":""})"
                                << "stop";
    QTest::newRow("negative seed") << R"({"model":"m","prompt":"a","seed":-1})"
                                   << "seed";
  }

  void badFieldsAreNamed() {
    QFETCH(QString, body);
    QFETCH(QString, param);
    const ApiError e = errorOf([&] { parseCompletionRequest(body.toStdString()); });
    QCOMPARE(e.status, 400);
    QCOMPARE(e.param, param.toStdString());
    const Json j = e.body();
    QCOMPARE(j["error"]["type"], Json("invalid_request_error"));
    QCOMPARE(j["error"]["param"], Json(param.toStdString()));
    QVERIFY(!j["error"]["message"].get<std::string>().empty());
  }

  void malformedJsonIsAnError() {
    for (const char* body : {"", "{", "nul", "[1]", "\"text\""}) {
      const ApiError e = errorOf([&] { parseChatRequest(body); });
      QCOMPARE(e.status, 400);
      QVERIFY2(QString(e.what()).contains("JSON"), e.what());
    }
  }

  void chatMessagesBecomeOnePrompt() {
    const auto r = parseChatRequest(
        R"({"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hello"},{"type":"text","text":" there"}]}]})");
    QVERIFY(r.chat);
    QCOMPARE(r.prompt, std::string("Be brief.\nHello there\n"));
    QCOMPARE(r.maxTokens, int64_t(256));
    QCOMPARE(parseChatRequest(R"({"model":"m","max_completion_tokens":7,"messages":[{"role":"user","content":"x"}]})")
                 .maxTokens,
             int64_t(7));
    QCOMPARE(errorOf([] { parseChatRequest(R"({"model":"m","messages":[]})"); }).param, std::string("messages"));
    QCOMPARE(errorOf([] { parseChatRequest(R"({"model":"m","messages":[{"role":"user"}]})"); }).param,
             std::string("messages"));
  }

  // Vision chat as the OpenAI API sends it: image_url parts collected in order, text kept.
  void chatImagePartsAreCollected() {
    const auto chat = [](const Json& content) {
      return Json{{"model", "m"}, {"messages", {{{"role", "user"}, {"content", content}}}}}.dump();
    };
    const Json image = {{"type", "image_url"},
                        {"image_url", {{"url", "data:image/png;base64,AAAA"}, {"detail", "low"}}}};
    const auto r = parseChatRequest(chat({{{"type", "text"}, {"text", "What is it?"}}, image}));
    QCOMPARE(r.prompt, std::string("What is it?\n"));
    QCOMPARE(r.images, Json::array({"data:image/png;base64,AAAA"}));
    QVERIFY(parseChatRequest(chat("x")).images.empty());
    const ApiError remote = errorOf([&] {
      parseChatRequest(chat({{{"type", "image_url"}, {"image_url", {{"url", "https://x/a.png"}}}}}));
    });
    QCOMPARE(remote.param, std::string("messages"));
    QVERIFY2(QString(remote.what()).contains("data: URL"), remote.what());
    QCOMPARE(errorOf([&] { parseChatRequest(chat({{{"type", "input_audio"}}})); }).param, std::string("messages"));
    QCOMPARE(errorOf([&] { parseChatRequest(chat({{{"type", 5}}})); }).status, 400);
    QCOMPARE(endpointFor("captioning"), std::string("/v1/chat/completions with an image_url content part"));
  }

  void punctuationRequestsAreChecked() {
    const auto body = [](const Json& input) { return Json{{"model", "p"}, {"input", input}}.dump(); };
    QCOMPARE(parsePunctuationRequest(body("hello there")).texts, std::vector<std::string>{"hello there"});
    const auto two = parsePunctuationRequest(body({"a b", "c"}));
    QCOMPARE(two.texts.size(), size_t(2));
    const Json answer = punctuationResponse(two, {"A b.", "C."});
    QCOMPARE(answer["object"], Json("list"));
    QCOMPARE(answer["model"], Json("p"));
    QCOMPARE(answer["data"][1], Json({{"index", 1}, {"text", "C."}}));
    for (const Json& input : {Json(), Json(""), Json::array(), Json({" ", "a"}), Json({3})}) {
      const ApiError e = errorOf([&] {
        parsePunctuationRequest(input.is_null() ? Json{{"model", "p"}}.dump() : body(input));
      });
      QCOMPARE(e.status, 400);
      QCOMPARE(e.param, std::string("input"));
    }
    QCOMPARE(errorOf([&] {
               parsePunctuationRequest(body(Json(std::vector<std::string>(kMaxPunctuationTexts + 1, "a"))));
             }).param,
             std::string("input"));
    const std::string tooLong = body(std::string(kMaxPunctuationCharacters + 1, 'a'));
    QVERIFY(QString(errorOf([&] { parsePunctuationRequest(tooLong); }).what()).contains("split it"));
    QCOMPARE(errorOf([] { parsePunctuationRequest(Json{{"input", "a"}}.dump()); }).param, std::string("model"));
  }

  void responsesHaveOpenAiShapes() {
    GenerationRequest chat;
    chat.model = "m";
    chat.chat = true;
    const Json full = completionResponse(chat, "id1", 7, "hi", "stop", {3, 2});
    QCOMPARE(full["object"], Json("chat.completion"));
    QCOMPARE(full["choices"][0]["message"]["content"], Json("hi"));
    QCOMPARE(full["usage"]["total_tokens"].get<int>(), 5);
    const Json first = streamChunk(chat, "id1", 7, "", std::nullopt, true);
    QCOMPARE(first["choices"][0]["delta"]["role"], Json("assistant"));
    const Json last = streamChunk(chat, "id1", 7, "", std::string("length"), false);
    QVERIFY(!last["choices"][0]["delta"].contains("content"));
    QCOMPARE(last["choices"][0]["finish_reason"], Json("length"));
    GenerationRequest plain = chat;
    plain.chat = false;
    QCOMPARE(completionResponse(plain, "id2", 7, "yo", "length", {})["choices"][0]["text"], Json("yo"));
    QCOMPARE(modelList("m", 7)["data"][0]["id"], Json("m"));
  }

  void transcriptionFormsAreCheckedAndAnswered() {
    using Fields = std::vector<std::pair<std::string, std::string>>;
    const TranscriptionRequest r = parseTranscriptionRequest({{"model", "asr"},
                                                              {"response_format", "verbose_json"},
                                                              {"timestamp_granularities[]", "word"},
                                                              {"language", "en"},
                                                              {"temperature", "0"}},
                                                             "RIFF...");
    QCOMPARE(r.model, std::string("asr"));
    QVERIFY(r.wordTimes);
    const Json transcript = {
        {"text", "call john"},
        {"duration", 1.5},
        {"words",
         {{{"word", "call"}, {"start", 0.2}, {"end", 0.5}}, {{"word", "john"}, {"start", 0.6}, {"end", 1.1}}}}};
    const Json verbose = Json::parse(transcriptionResponse(r, transcript).first);
    QCOMPARE(verbose["task"], Json("transcribe"));
    QCOMPARE(verbose["duration"].get<double>(), 1.5);
    QCOMPARE(verbose["words"].size(), size_t(2));
    QCOMPARE(verbose["segments"][0]["start"].get<double>(), 0.2);
    QCOMPARE(verbose["segments"][0]["end"].get<double>(), 1.1);
    TranscriptionRequest plain = r;
    plain.responseFormat = "text";
    QCOMPARE(transcriptionResponse(plain, transcript),
             (std::pair<std::string, std::string>{"call john\n", "text/plain; charset=utf-8"}));
    plain.responseFormat = "json";
    QCOMPARE(Json::parse(transcriptionResponse(plain, transcript).first), (Json{{"text", "call john"}}));
    // Without word granularity, verbose_json has segments only, as OpenAI answers.
    TranscriptionRequest segments = r;
    segments.wordTimes = false;
    QVERIFY(!Json::parse(transcriptionResponse(segments, transcript).first).contains("words"));
    for (const auto& [fields, audio, param] :
         {std::tuple{Fields{{"model", "asr"}}, std::string(), "file"}, std::tuple{Fields{}, std::string("x"), "model"},
          std::tuple{Fields{{"model", "asr"}, {"response_format", "srt"}}, std::string("x"), "response_format"},
          std::tuple{Fields{{"model", "asr"}, {"language", "de"}}, std::string("x"), "language"},
          std::tuple{Fields{{"model", "asr"}, {"timestamp_granularities[]", "char"}}, std::string("x"),
                     "timestamp_granularities"}}) {
      try {
        parseTranscriptionRequest(fields, audio);
        QFAIL(param);
      } catch (const ApiError& e) {
        QCOMPARE(e.status, 400);
        QCOMPARE(e.param, std::string(param));
      }
    }
    QCOMPARE(endpointFor("transcription"), std::string("/v1/audio/transcriptions"));
  }

  void speechRequestsAreCheckedAndSplitIntoSentences() {
    const SpeechRequest r =
        parseSpeechRequest(R"({"model":"m","input":"Hi there.","voice":"alloy","response_format":"pcm","speed":2})");
    QCOMPARE(r.responseFormat, std::string("pcm"));
    QCOMPARE(r.speed, 2.0);
    QCOMPARE(parseSpeechRequest(R"({"model":"m","input":"a"})").responseFormat, std::string("wav"));
    const std::vector<std::pair<std::string, std::string>> bad = {
        {R"({"model":"m","input":" \n "})", "input"},
        {R"({"model":"m"})", "input"},
        {Json{{"model", "m"}, {"input", std::string(kMaxSpeechCharacters + 1, 'a')}}.dump(), "input"},
        {R"({"model":"m","input":"a","response_format":"mp3"})", "response_format"},
        {R"({"model":"m","input":"a","speed":5})", "speed"},
        {R"({"model":"m","input":"a","voice":1})", "voice"},
        {R"({"input":"a"})", "model"}};
    for (const auto& [body, param] : bad) QCOMPARE(errorOf([&] { parseSpeechRequest(body); }).param, param);
    using Sentences = std::vector<std::string>;
    QCOMPARE(speechSentences("Hi there. It is 3.5 degrees!  Is it?\nyes; no"),
             (Sentences{"Hi there.", "It is 3.5 degrees!", "Is it?", "yes;", "no"}));
    QCOMPARE(speechSentences("  ...  "), Sentences{"..."});
    QCOMPARE(speechSentences("no end"), Sentences{"no end"});
    QCOMPARE(speechSentences("\n\n"), Sentences{});
    // A short sentence keeps its commas; a long one is cut at one, a longer one without any at a
    // space: no piece much past kSpeechPieceBytes.
    QCOMPARE(speechSentences("one, two, three."), Sentences{"one, two, three."});
    const std::string clause(200, 'a'), words = [] {
      std::string w;
      for (int i = 0; i < 200; ++i) w += "word ";
      return w;
    }();
    QCOMPARE(speechSentences(clause + ", and the rest."), (Sentences{clause + ",", "and the rest."}));
    const auto pieces = speechSentences(words);
    QVERIFY(pieces.size() >= 3);
    for (const auto& p : pieces) QVERIFY(p.size() <= kSpeechPieceBytes + 5);
    // Characters are counted, not bytes: 4,096 two-byte letters are taken.
    std::string cyrillic;
    for (size_t i = 0; i < kMaxSpeechCharacters; ++i) cyrillic += "\xd0\xb4";
    QCOMPARE(parseSpeechRequest(Json{{"model", "m"}, {"input", cyrillic}}.dump()).input, cyrillic);
  }

  void imagesDecodeFromPngAndArrays() {
    std::vector<uint8_t> grey(4 * 3);
    for (size_t i = 0; i < grey.size(); ++i) grey[i] = static_cast<uint8_t>(i * 20);
    const ImageSize size{1, 3, 4};
    const auto fromPng = decodeImage(Json(pngBase64(4, 3, 1, grey)), size, "input[0]");
    QCOMPARE(fromPng.size(), size_t(12));
    for (size_t i = 0; i < grey.size(); ++i) QCOMPARE(fromPng[i], grey[i] / 255.0f);
    const auto fromUrl = decodeImage(Json("data:image/png;base64," + pngBase64(4, 3, 1, grey)), size, "input[0]");
    QCOMPARE(fromUrl, fromPng);
    Json rows = Json::array();
    for (int r = 0; r < 3; ++r) {
      Json row = Json::array();
      for (int c = 0; c < 4; ++c) row.push_back(grey[static_cast<size_t>(r * 4 + c)]);
      rows.push_back(row);
    }
    QCOMPARE(decodeImage(rows, size, "input[0]"), fromPng);
    QCOMPARE(decodeImage(Json::array({rows}), size, "input[0]"), fromPng);  // [C][H][W]
    // A colour PNG for a grey model is converted; all three channels equal give the same grey.
    std::vector<uint8_t> rgb;
    for (uint8_t g : grey) rgb.insert(rgb.end(), {g, g, g});
    const auto fromRgb = decodeImage(Json(pngBase64(4, 3, 3, rgb)), size, "input[0]");
    for (size_t i = 0; i < grey.size(); ++i) QVERIFY(std::abs(fromRgb[i] - fromPng[i]) <= 1.0f / 255.0f);
  }

  void brokenImagesAreNamed_data() {
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("expect");
    QTest::newRow("not base64") << R"("abc$")"
                                << "not base64";
    QTest::newRow("not an image") << R"("aGVsbG8gd29ybGQ=")"
                                  << "not a PNG or JPEG";
    QTest::newRow("wrong size") << QString("\"%1\"").arg(QString::fromStdString(pngBase64(2, 2, 1, {0, 0, 0, 0})))
                                << "2x2 pixels";
    QTest::newRow("short row") << "[[1,2,3,4],[1,2,3],[1,2,3,4]]"
                               << "not a 3x4";
    QTest::newRow("out of range") << "[[1,2,3,4],[1,2,3,4],[1,2,3,999]]"
                                  << "999";
    QTest::newRow("text pixel") << R"([[1,2,3,4],[1,2,3,4],[1,2,3,"x"]])"
                                << "0 to 255";
    QTest::newRow("no base64 marker") << R"("data:image/png,AAAA")"
                                      << ";base64";
  }

  void brokenImagesAreNamed() {
    QFETCH(QString, input);
    QFETCH(QString, expect);
    const ApiError e = errorOf([&] { decodeImage(Json::parse(input.toStdString()), {1, 3, 4}, "input[2]"); });
    QCOMPARE(e.status, 400);
    QVERIFY2(QString(e.what()).contains("input[2]") && QString(e.what()).contains(expect), e.what());
  }

  void classifyRequestTakesOneOrManyImages() {
    QCOMPARE(parseClassifyRequest(R"({"model":"m","input":"AAAA"})").inputs.size(), size_t(1));
    QCOMPARE(parseClassifyRequest(R"({"model":"m","input":[[0,1],[2,3]]})").inputs.size(), size_t(1));
    QCOMPARE(parseClassifyRequest(R"({"model":"m","input":[[[0,1],[2,3]],"AAAA"]})").inputs.size(), size_t(2));
    QCOMPARE(errorOf([] { parseClassifyRequest(R"({"model":"m","input":[]})"); }).param, std::string("input"));
    QCOMPARE(errorOf([] { parseClassifyRequest(R"({"model":"m","input":[5]})"); }).param, std::string("input"));
  }

  void batcherFillsBatchesUnderLoad() {
    std::vector<size_t> sizes;
    std::mutex m;
    DynamicBatcher<int, int> batcher(
        [](const std::vector<int>& items) {
          std::vector<int> out;
          for (int i : items) out.push_back(i * 10);
          return out;
        },
        8, std::chrono::milliseconds(200),
        [&](size_t n) {
          std::lock_guard lock(m);
          sizes.push_back(n);
        });
    std::vector<std::future<int>> results;
    for (int i = 0; i < 16; ++i) results.push_back(batcher.submit(i));
    for (int i = 0; i < 16; ++i) QCOMPARE(results[static_cast<size_t>(i)].get(), i * 10);
    // 16 items submitted at once: two full batches, not sixteen calls (the 200 ms wait is cut
    // short when a batch fills).
    QCOMPARE(sizes, (std::vector<size_t>{8, 8}));
  }

  void loneItemWaitsAtMostTheBound() {
    DynamicBatcher<int, int> batcher([](const std::vector<int>& items) { return items; }, 64,
                                     std::chrono::milliseconds(30));
    const auto start = std::chrono::steady_clock::now();
    QCOMPARE(batcher.submit(5).get(), 5);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    QVERIFY2(ms >= 25 && ms < 500, qPrintable(QString::number(ms)));
  }

  void batchFailureReachesEveryCaller() {
    DynamicBatcher<int, int> batcher(
        [](const std::vector<int>&) -> std::vector<int> { throw std::runtime_error("model exploded"); }, 4,
        std::chrono::milliseconds(50));
    auto a = batcher.submit(1), b = batcher.submit(2);
    for (auto* f : {&a, &b}) {
      try {
        f->get();
        QFAIL("expected the runner's error");
      } catch (const std::runtime_error& e) {
        QCOMPARE(QString(e.what()), QString("model exploded"));
      }
    }
  }

  void metricsArePrometheusText() {
    ServingMetrics metrics;
    metrics.requestStarted();
    metrics.requestFinished("/v1/classify", 200, 0.003);
    metrics.requestStarted();
    metrics.requestFinished("/v1/classify", 400, 0.2);
    metrics.batchRun(5);
    metrics.tokensGenerated(40, 2.0);
    const QString text = QString::fromStdString(metrics.prometheusText());
    QVERIFY(text.contains("reef_requests_total{endpoint=\"/v1/classify\",status=\"200\"} 1\n"));
    QVERIFY(text.contains("reef_requests_total{endpoint=\"/v1/classify\",status=\"400\"} 1\n"));
    // Cumulative buckets: 0.003 s falls in le=0.005 and above; 0.2 s in le=0.25 and above.
    QVERIFY(text.contains("reef_request_duration_seconds_bucket{endpoint=\"/v1/classify\",le=\"0.0025\"} 0\n"));
    QVERIFY(text.contains("reef_request_duration_seconds_bucket{endpoint=\"/v1/classify\",le=\"0.005\"} 1\n"));
    QVERIFY(text.contains("reef_request_duration_seconds_bucket{endpoint=\"/v1/classify\",le=\"0.25\"} 2\n"));
    QVERIFY(text.contains("reef_request_duration_seconds_count{endpoint=\"/v1/classify\"} 2\n"));
    QVERIFY(text.contains("reef_batch_size_bucket{le=\"4\"} 0\nreef_batch_size_bucket{le=\"8\"} 1\n"));
    QVERIFY(text.contains("reef_generated_tokens_total 40\n"));
    QVERIFY(text.contains("reef_generation_tokens_per_second 20\n"));
    QCOMPARE(metrics.inFlight(), int64_t(0));
    QCOMPARE(metrics.requestsTotal(), int64_t(2));
  }
};

QTEST_APPLESS_MAIN(TestDeployApi)
#include "tst_deploy_api.moc"

// `reef serve` as clients meet it: .reef bundles of a short KJV pretraining run and of an MNIST
// classifier are served on 127.0.0.1; the official OpenAI client (npm `openai`) lists the model,
// completes greedily (the same text as `reef generate`) and streams a chat completion; malformed,
// mistyped, oversized, unauthorised and misdirected requests get 4xx OpenAI error objects while the
// server keeps answering; concurrent classifications are batched and agree with lone ones, as are
// concurrent generations (continuous batching), and a client that leaves frees its sequence; a text
// classifier answers strings; a punctuation model's bundle restores texts on /v1/punctuate as
// `reef punctuate` does.
#include "tests/support/reef_cli.h"
#include "tests/support/reef_server.h"

#include <httplib.h>

#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <fstream>
#include <thread>

using namespace reef;
using namespace reef::test;
namespace fs = std::filesystem;

namespace {

Json jsonOf(const std::string& text) {
  const Json j = Json::parse(text, nullptr, false);
  return j.is_discarded() ? Json() : j;
}

}  // namespace

class TestServe : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  QString llmBundle_, visionBundle_;
  std::vector<std::vector<std::vector<int>>> images_;  // MNIST test images [i][row][col]
  std::unique_ptr<ReefServer> errorServer_;            // one for all bad requests: it must survive them all

  // `yaml` trained into <dir>/<name> and exported as <name>.reef; the bundle's path, or empty.
  QString trainedBundle(const QString& name, const char* yaml) {
    const QString spec = dir_.filePath(name + ".yaml"), run = dir_.filePath(name),
                  bundle = dir_.filePath(name + ".reef");
    std::ofstream(spec.toStdString()) << yaml;
    auto r = runReef({"train", spec, "--run-dir", run, "--plain"}, 120000);
    if (r.exitCode == 0) r = runReef({"export", run, "--format", "bundle", "--out", bundle});
    if (r.exitCode != 0) qWarning("%s", qPrintable(r.err));
    return r.exitCode == 0 ? bundle : QString();
  }

 private Q_SLOTS:
  void initTestCase() {
    if (!fs::exists(fs::path(REEF_SOURCE_DIR) / "data/llm/kjv/meta.json") ||
        !fs::exists(sourceDir().toStdString() + "/data/consumers/node_modules/openai/package.json"))
      QFAIL("run scripts/prepare-data.sh first (it prepares the kjv shards and installs the openai client)");
    const QString llmRun = dir_.filePath("kjv"), visionRun = dir_.filePath("mnist");
    auto r = runReef(
        {"train", example("llm/kjv_llama.yaml"), "--run-dir", llmRun, "--set", "model.dim=64", "--set",
         "model.layers=2", "--set", "data.batch_size=16", "--set", "trainer.max_steps=40", "--set",
         "trainer.val_interval=40", "--set", "trainer.limit_val_batches=1", "--set", "optim.warmup_steps=5", "--plain"},
        240000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    r = runReef({"train", example("vision/mnist_cnn.yaml"), "--run-dir", visionRun, "--set", "trainer.max_steps=150",
                 "--set", "trainer.val_interval=150", "--plain"},
                240000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    llmBundle_ = dir_.filePath("kjv.reef");
    visionBundle_ = dir_.filePath("mnist.reef");
    for (const auto& [run, bundle] : {std::pair{llmRun, llmBundle_}, std::pair{visionRun, visionBundle_}}) {
      r = runReef({"export", run, "--format", "bundle", "--out", bundle});
      QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    }
    std::ifstream idx(sourceDir().toStdString() + "/data/mnist/t10k-images-idx3-ubyte", std::ios::binary);
    idx.seekg(16);
    for (int i = 0; i < 32; ++i) {
      std::vector<std::vector<int>> image(28, std::vector<int>(28));
      for (auto& row : image)
        for (auto& v : row) v = static_cast<unsigned char>(idx.get());
      images_.push_back(image);
    }
  }

  void officialOpenAiClientCompletesAndStreams() {
    ReefServer server(llmBundle_);
    QVERIFY2(server.port() > 0, qPrintable(server.banner()));
    const QString prompt = "And God said";
    auto g =
        runReef({"generate", llmBundle_, "--prompt", prompt, "--max-tokens", "10", "--temperature", "0", "--json"});
    QVERIFY2(g.exitCode == 0, qPrintable(g.err));
    const Json reef = jsonOf(g.out.toStdString());
    auto r = runProgram(
        "node", {sourceDir() + "/tests/consumers/openai_client.mjs", sourceDir() + "/data/consumers/node_modules",
                 QString("http://127.0.0.1:%1/v1").arg(server.port()), ReefServer::kKey, prompt, "10"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const Json client = jsonOf(r.out.toStdString());
    QCOMPARE(client["models"], Json::array({"kjv-llama"}));
    // Greedy decoding through the server is the same text as the CLI's.
    QCOMPARE(client["completion"]["text"], reef["text"]);
    QCOMPARE(client["completion"]["usage"]["completion_tokens"].get<int>(), 10);
    QCOMPARE(client["completion"]["finish"], Json("length"));
    QCOMPARE(client["chat"]["role"], Json("assistant"));
    QVERIFY2(client["chat"]["chunks"].get<int>() >= 5, r.out.toUtf8());  // streamed, not sent whole
    QVERIFY(!client["chat"]["text"].get<std::string>().empty());
    QCOMPARE(client["chat"]["finish"], Json("length"));
    QCOMPARE(client["unauthorised"]["status"].get<int>(), 401);
    QString out;
    QCOMPARE(server.stop(out), 0);
    QVERIFY2(out.contains("stopped after"), qPrintable(out));
  }

  void concurrentGenerationsAreBatchedAndEqualLoneOnes() {
    ReefServer server(llmBundle_, {"--max-batch", "8"});
    QVERIFY2(server.port() > 0, qPrintable(server.banner()));
    const std::vector<std::string> prompts = {"And God said",        "In the beginning", "The LORD",   "Blessed are",
                                              "And it came to pass", "Thou shalt",       "For God so", "Let there be"};
    auto bodyOf = [&](size_t i, bool stream) {
      return Json{{"model", "kjv-llama"},
                  {"prompt", prompts[i]},
                  {"max_tokens", 8 + 4 * static_cast<int>(i)},
                  {"temperature", 0},
                  {"stream", stream}}
          .dump();
    };
    std::vector<std::string> alone;
    for (size_t i = 0; i < prompts.size(); ++i) {
      auto res = server.client().Post("/v1/completions", bodyOf(i, false), "application/json");
      QVERIFY(res && res->status == 200);
      alone.push_back(jsonOf(res->body)["choices"][0]["text"].get<std::string>());
    }
    // All at once, half of them streamed: the same greedy text, from fewer model steps than tokens.
    const std::string before = server.client().Get("/metrics")->body;
    std::vector<std::string> together(prompts.size());
    std::vector<std::thread> clients;
    for (size_t i = 0; i < prompts.size(); ++i)
      clients.emplace_back([&, i] {
        const bool stream = i % 2 == 1;
        auto res = server.client().Post("/v1/completions", bodyOf(i, stream), "application/json");
        if (!res || res->status != 200) return;
        if (!stream) {
          together[i] = jsonOf(res->body)["choices"][0]["text"].get<std::string>();
          return;
        }
        for (size_t at = res->body.find("data: {"); at != std::string::npos; at = res->body.find("data: {", at + 1))
          together[i] += jsonOf(res->body.substr(at + 6, res->body.find('\n', at) - at - 6))["choices"][0]["text"]
                             .get<std::string>();
      });
    for (auto& c : clients) c.join();
    for (size_t i = 0; i < prompts.size(); ++i)
      QVERIFY2(together[i] == alone[i], qPrintable(QString("%1: '%2' together, '%3' alone")
                                                       .arg(i)
                                                       .arg(QString::fromStdString(together[i]))
                                                       .arg(QString::fromStdString(alone[i]))));
    const auto steps = [](const std::string& metrics) {
      const auto at = metrics.find("\nreef_batch_size_count ");
      return at == std::string::npos ? -1 : std::stoi(metrics.substr(at + 23));
    };
    const int tokens = 8 * 8 + 4 * 28, used = steps(server.client().Get("/metrics")->body) - steps(before);
    QVERIFY2(used > 0 && used < tokens / 2, qPrintable(QString("%1 steps for %2 tokens").arg(used).arg(tokens)));
    // The gauges are set after the step that answered the last request: they may lag its reply.
    const auto idle = [&] {
      const std::string m = server.client().Get("/metrics")->body;
      return m.find("\nreef_generation_sequences 0\n") != std::string::npos &&
             m.find("\nreef_generation_waiting 0\n") != std::string::npos;
    };
    QTRY_VERIFY_WITH_TIMEOUT(idle(), 5000);
  }

  void aClientThatLeavesFreesItsSequence() {
    // One sequence at a time: the second request can start only once the first has gone.
    ReefServer server(llmBundle_, {"--max-batch", "1"});
    QVERIFY2(server.port() > 0, qPrintable(server.banner()));
    const Json longOne = {
        {"model", "kjv-llama"}, {"prompt", "And God said"}, {"max_tokens", 240}, {"temperature", 0}, {"stream", true}};
    Json whole = longOne;
    whole["stream"] = false;
    auto full = server.client().Post("/v1/completions", whole.dump(), "application/json");
    QVERIFY(full && full->status == 200);
    const int wholeTokens = jsonOf(full->body)["usage"]["completion_tokens"].get<int>();
    QVERIFY2(wholeTokens >= 200, qPrintable(QString::number(wholeTokens)));  // the model does not stop early
    httplib::Request request;
    request.method = "POST";
    request.path = "/v1/completions";
    request.body = longOne.dump();
    request.set_header("Content-Type", "application/json");
    int chunks = 0;
    request.content_receiver = [&](const char*, size_t, uint64_t, uint64_t) { return ++chunks < 3; };
    auto client = server.client();
    client.send(request);
    QCOMPARE(chunks, 3);
    auto res = server.client().Post(
        "/v1/completions", R"({"model":"kjv-llama","prompt":"In the beginning","max_tokens":4})", "application/json");
    QVERIFY(res && res->status == 200);
    // The abandoned request is counted (and its tokens) once its thread has seen the end.
    const auto counted = [&] {
      return server.client()
                 .Get("/metrics")
                 ->body.find("reef_requests_total{endpoint=\"/v1/completions\",status=\"200\"} 3") != std::string::npos;
    };
    QTRY_VERIFY_WITH_TIMEOUT(counted(), 5000);
    const std::string metrics = server.client().Get("/metrics")->body;
    const auto at = metrics.find("\nreef_generated_tokens_total ");
    QVERIFY(at != std::string::npos);
    const int generated = std::stoi(metrics.substr(at + 29)) - wholeTokens;
    QVERIFY2(generated < 60, qPrintable(QString("%1 tokens generated: the abandoned stream ran on").arg(generated)));
  }

  void badRequestsGetOpenAiErrors_data() {
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("body");
    QTest::addColumn<bool>("authorised");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("expect");  // in the error message, param or code
    QTest::newRow("no key") << "/v1/completions"
                            << R"({"model":"kjv-llama","prompt":"a"})" << false << 401 << "invalid_api_key";
    QTest::newRow("malformed") << "/v1/completions"
                               << R"({"model": "kjv-llama", "prompt": )" << true << 400 << "not valid JSON";
    QTest::newRow("not an object") << "/v1/completions"
                                   << R"(["a"])" << true << 400 << "JSON object";
    QTest::newRow("prompt type") << "/v1/completions"
                                 << R"({"model":"kjv-llama","prompt":7})" << true << 400 << "prompt";
    QTest::newRow("max_tokens type") << "/v1/completions"
                                     << R"({"model":"kjv-llama","prompt":"a","max_tokens":"9"})" << true << 400
                                     << "max_tokens";
    QTest::newRow("temperature range") << "/v1/completions"
                                       << R"({"model":"kjv-llama","prompt":"a","temperature":7})" << true << 400
                                       << "temperature";
    QTest::newRow("stop type") << "/v1/completions"
                               << R"({"model":"kjv-llama","prompt":"a","stop":[1]})" << true << 400 << "stop";
    QTest::newRow("n") << "/v1/completions"
                       << R"({"model":"kjv-llama","prompt":"a","n":3})" << true << 400 << "'n' must be 1";
    QTest::newRow("unknown model") << "/v1/completions"
                                   << R"({"model":"gpt-9","prompt":"a"})" << true << 404 << "model_not_found";
    QTest::newRow("no messages") << "/v1/chat/completions"
                                 << R"({"model":"kjv-llama"})" << true << 400 << "messages";
    QTest::newRow("bad role") << "/v1/chat/completions"
                              << R"({"model":"kjv-llama","messages":[{"role":"robot","content":"x"}]})" << true << 400
                              << "role";
    QTest::newRow("image parts")
        << "/v1/chat/completions"
        << R"({"model":"kjv-llama","messages":[{"role":"user","content":[{"type":"image_url","image_url":)"
           R"({"url":"data:image/png;base64,AAAA"}}]}]})"
        << true << 400 << "reads text only";
    QTest::newRow("image part without url")
        << "/v1/chat/completions"
        << R"({"model":"kjv-llama","messages":[{"role":"user","content":[{"type":"image_url"}]}]})" << true << 400
        << "must hold image_url";
    QTest::newRow("classify an llm") << "/v1/classify"
                                     << R"({"model":"kjv-llama","input":"AAAA"})" << true << 400 << "/v1/completions";
    QTest::newRow("unknown path") << "/v2/everything"
                                  << "{}" << true << 404 << "unknown_url";
    QTest::newRow("oversized") << "/v1/completions" << QString(1100000, 'a') << true << 413 << "request_too_large";
  }

  void badRequestsGetOpenAiErrors() {
    QFETCH(QString, path);
    QFETCH(QString, body);
    QFETCH(bool, authorised);
    QFETCH(int, status);
    QFETCH(QString, expect);
    if (!errorServer_) errorServer_ = std::make_unique<ReefServer>(llmBundle_, QStringList{"--max-body-mb", "1"});
    ReefServer* server = errorServer_.get();
    QVERIFY2(server->port() > 0, qPrintable(server->banner()));
    auto res = server->client(authorised).Post(path.toStdString(), body.toStdString(), "application/json");
    QVERIFY2(res, "no answer: did the server crash?");
    QCOMPARE(res->status, status);
    const Json error = jsonOf(res->body);
    QVERIFY2(error.contains("error") && error["error"]["message"].is_string() && error["error"]["type"].is_string(),
             res->body.c_str());
    QVERIFY2(QString::fromStdString(res->body).contains(expect), res->body.c_str());
    auto health = server->client().Get("/health");
    QVERIFY(health && health->status == 200 && server->running());
  }

  void cleanupTestCase() { errorServer_.reset(); }

  // A text classifier's bundle (its tokenizer inside) classifies strings, batched or alone alike;
  // an image where a text belongs is a 400 naming the input.
  void textClassifierAnswersStrings() {
    const QString bundle = trainedBundle("bow",
                                         "exp: {name: fortunes}\nmodel: {collection: nlp, arch: bow}\n"
                                         "data: {classes: 'computers, politics, zippy', batch_size: 32, workers: 0}\n"
                                         "optim: {lr: 0.05}\ntrainer: {max_steps: 300, val_interval: 300}\n");
    QVERIFY(!bundle.isEmpty());
    ReefServer server(bundle);
    QVERIFY2(server.port() > 0, qPrintable(server.banner()));
    const std::vector<std::string> texts = {"The computer crashed and the kernel panicked; reboot the Unix machine.",
                                            "The senator promised the voters lower taxes before the election.",
                                            "Yow! Are we having fun yet?"};
    std::vector<Json> alone;
    for (const auto& t : texts) {
      auto res =
          server.client().Post("/v1/classify", Json{{"model", "fortunes"}, {"input", t}}.dump(), "application/json");
      QVERIFY(res && res->status == 200);
      alone.push_back(jsonOf(res->body)["data"][0]);
    }
    QCOMPARE(alone[0]["label"], Json("computers"));
    QCOMPARE(alone[1]["label"], Json("politics"));
    auto res =
        server.client().Post("/v1/classify", Json{{"model", "fortunes"}, {"input", texts}}.dump(), "application/json");
    QVERIFY(res && res->status == 200);
    const Json together = jsonOf(res->body)["data"];
    for (size_t i = 0; i < texts.size(); ++i) {
      QCOMPARE(together[i]["label"], alone[i]["label"]);
      QVERIFY(std::abs(together[i]["score"].get<double>() - alone[i]["score"].get<double>()) < 1e-5);
    }
    res = server.client().Post("/v1/classify", R"({"model":"fortunes","input":[[[0,1],[2,3]]]})", "application/json");
    QVERIFY(res && res->status == 400);
    QVERIFY2(res->body.find("input[0] must be a string") != std::string::npos, res->body.c_str());
  }

  // Several texts in one request, each restored as `reef punctuate` restores it alone.
  void punctuationModelRestoresTexts() {
    const QString bundle = trainedBundle("punct",
                                         "exp: {name: punctuation}\nmodel: {collection: nlp, arch: punctuation, dim: "
                                         "32, depth: 1, heads: 2}\ndata: {max_length: 64, batch_size: 32, workers: 0}\n"
                                         "trainer: {max_steps: 40, val_interval: 40, limit_val_batches: 2}\n");
    QVERIFY(!bundle.isEmpty());
    ReefServer server(bundle);
    QVERIFY2(server.port() > 0, qPrintable(server.banner()));
    const std::vector<std::string> texts = {"where are you going asked the old man",
                                            "Never trust a computer you cannot throw out a window!"};
    auto res = server.client().Post("/v1/punctuate", Json{{"model", "punctuation"}, {"input", texts}}.dump(),
                                    "application/json");
    QVERIFY(res && res->status == 200);
    const Json data = jsonOf(res->body)["data"];
    QCOMPARE(data.size(), texts.size());
    for (size_t i = 0; i < texts.size(); ++i) {
      // The text as --text, then as the second argument: the same command.
      const ReefRun alone =
          runReef(i == 0 ? QStringList{"punctuate", bundle, "--text", QString::fromStdString(texts[i])}
                         : QStringList{"punctuate", bundle, QString::fromStdString(texts[i])});
      QVERIFY2(alone.exitCode == 0, qPrintable(alone.err));
      QCOMPARE(QString::fromStdString(data[i]["text"].get<std::string>()), alone.out.trimmed());
    }
    res = server.client().Post("/v1/punctuate", R"({"model":"punctuation","input":["  "]})", "application/json");
    QVERIFY(res && res->status == 400);
    QCOMPARE(jsonOf(res->body)["error"]["param"], Json("input"));
    res = server.client().Post("/v1/completions", R"({"model":"punctuation","prompt":"a"})", "application/json");
    QVERIFY(res && res->status == 400);
    QVERIFY2(res->body.find("/v1/punctuate") != std::string::npos, res->body.c_str());
  }

  void concurrentClassificationsAreBatched() {
    ReefServer server(visionBundle_, {"--max-batch", "16", "--batch-wait-ms", "20"});
    QVERIFY2(server.port() > 0, qPrintable(server.banner()));
    // Each image alone first: the reference answers.
    std::vector<Json> alone;
    for (const auto& image : images_) {
      const Json body = {{"model", "mnist-cnn"}, {"input", image}};
      auto res = server.client().Post("/v1/classify", body.dump(), "application/json");
      QVERIFY(res && res->status == 200);
      alone.push_back(jsonOf(res->body)["data"][0]);
    }
    // Then all at once, one client thread per image.
    std::vector<Json> together(images_.size());
    std::vector<std::thread> clients;
    for (size_t i = 0; i < images_.size(); ++i)
      clients.emplace_back([&, i] {
        const Json body = {{"model", "mnist-cnn"}, {"input", images_[i]}};
        auto res = server.client().Post("/v1/classify", body.dump(), "application/json");
        if (res && res->status == 200)
          together[i] = jsonOf(res->body)["data"][0];
        else
          together[i] = res ? Json(res->body) : Json(httplib::to_string(res.error()));
      });
    for (auto& c : clients) c.join();
    int correct = 0;
    std::ifstream labels(sourceDir().toStdString() + "/data/mnist/t10k-labels-idx1-ubyte", std::ios::binary);
    labels.seekg(8);
    for (size_t i = 0; i < images_.size(); ++i) {
      QVERIFY2(together[i].is_object(),
               qPrintable(QString::number(i) + ": " + QString::fromStdString(together[i].dump()) + server.banner()));
      QCOMPARE(together[i]["label"], alone[i]["label"]);
      QVERIFY(std::abs(together[i]["score"].get<double>() - alone[i]["score"].get<double>()) < 1e-5);
      correct += together[i]["label_index"].get<int>() == labels.get();
    }
    QVERIFY2(correct >= 28, qPrintable(QString("%1 of 32 test digits right").arg(correct)));
    // 64 images in fewer model calls than 64: the concurrent ones were batched.
    const std::string metrics = server.client().Get("/metrics")->body;
    const auto at = metrics.find("\nreef_batch_size_count ");
    QVERIFY(at != std::string::npos);
    const int calls = std::stoi(metrics.substr(at + 23));
    QVERIFY2(calls < 64 - 8, qPrintable(QString("%1 model calls for 64 images").arg(calls)));
    // httplib counts a request in its logger, which runs after the response is written: the
    // client can read /metrics before the last of its 64 requests is counted.
    const auto counted = [&] {
      return server.client()
                 .Get("/metrics")
                 ->body.find("reef_requests_total{endpoint=\"/v1/classify\",status=\"200\"} 64") != std::string::npos;
    };
    QTRY_VERIFY_WITH_TIMEOUT(counted(), 5000);
  }
};

QTEST_GUILESS_MAIN(TestServe)
#include "tst_serve.moc"

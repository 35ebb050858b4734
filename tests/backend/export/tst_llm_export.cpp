// Exported language models run in runtimes Reef did not write and decode like Reef: a short
// pretraining run (separate output head, grouped-query attention) is exported as GGUF in f32,
// f16 and q8_0 and run by llama.cpp (npm node-llama-cpp 3.21.1, installed by prepare-data.sh),
// and as a Hugging Face Llama folder run by an independent PyTorch reading of that format; greedy
// tokens are compared with `reef generate --temperature 0`. A .reef bundle generates without the
// data, evaluates like the run where the data is, and feeds export.
#include "tests/support/reef_cli.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace reef;
using namespace reef::test;
namespace fs = std::filesystem;

namespace {

const QString kPrompt = "And God said unto Moses";
constexpr int kTokens = 24;

Json jsonOf(const QString& text) {
  const Json j = Json::parse(text.toStdString(), nullptr, false);
  return j.is_discarded() ? Json() : j;
}

}  // namespace

class TestLlmExport : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  fs::path run_;
  Json reef_;  // reef generate's answer
  QString modules_;

 private Q_SLOTS:
  void initTestCase() {
    if (!fs::exists(fs::path(REEF_SOURCE_DIR) / "data/llm/kjv/meta.json"))
      QFAIL("run scripts/prepare-data.sh first (it prepares the kjv token shards)");
    modules_ = sourceDir() + "/data/consumers/node_modules";
    if (!fs::exists(modules_.toStdString() + "/node-llama-cpp/dist/index.js"))
      QFAIL("run scripts/prepare-data.sh first (it installs node-llama-cpp for this test)");
    run_ = fs::path(dir_.path().toStdString()) / "kjv";
    auto r = runReef({"train",     example("llm/kjv_llama.yaml"),
                      "--run-dir", QString::fromStdString(run_.string()),
                      "--set",     "model.dim=128",
                      "--set",     "model.layers=2",
                      "--set",     "model.tie_embeddings=false",
                      "--set",     "data.batch_size=16",
                      "--set",     "trainer.max_steps=80",
                      "--set",     "trainer.val_interval=80",
                      "--set",     "trainer.limit_val_batches=2",
                      "--set",     "optim.warmup_steps=10",
                      "--plain"},
                     240000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    auto g = runReef({"generate", QString::fromStdString(run_.string()), "--prompt", kPrompt, "--max-tokens",
                      QString::number(kTokens), "--temperature", "0", "--json"});
    QVERIFY2(g.exitCode == 0, qPrintable(g.err));
    reef_ = jsonOf(g.out);
    QCOMPARE(reef_["tokens"].size(), size_t(kTokens));
  }

  void llamaCppDecodesTheGgufLikeReef_data() {
    QTest::addColumn<QString>("type");
    QTest::addColumn<double>("agreement");  // share of tokens that must match
    QTest::newRow("f32") << "f32" << 1.0;
    QTest::newRow("f16") << "f16" << 1.0;
    QTest::newRow("q8_0") << "q8_0" << 0.5;
  }

  void llamaCppDecodesTheGgufLikeReef() {
    QFETCH(QString, type);
    QFETCH(double, agreement);
    const QString file = dir_.filePath("kjv-" + type + ".gguf");
    auto e =
        runReef({"export", QString::fromStdString(run_.string()), "--format", "gguf", "--type", type, "--out", file});
    QVERIFY2(e.exitCode == 0, qPrintable(e.err));
    const QString ids = QString::fromStdString(reef_["prompt_ids"].dump());
    auto r = runProgram("node", {sourceDir() + "/tests/consumers/gguf_greedy.mjs", modules_, file, ids,
                                 QString::number(kTokens), kPrompt});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const Json llama = jsonOf(r.out);
    QCOMPARE(llama["tokens"].size(), size_t(kTokens));
    // llama.cpp's SentencePiece tokenizer splits the prompt as Reef does (after Reef's leading
    // document boundary).
    Json reefPrompt = reef_["prompt_ids"];
    reefPrompt.erase(reefPrompt.begin());
    QCOMPARE(llama["tokenized"], reefPrompt);
    int same = 0;
    for (int i = 0; i < kTokens; ++i) same += llama["tokens"][i] == reef_["tokens"][i] ? 1 : 0;
    qInfo("%s: llama.cpp and reef agree on %d of %d greedy tokens", qPrintable(type), same, kTokens);
    QVERIFY2(same >= agreement * kTokens, qPrintable(QString("llama.cpp %1 vs reef %2")
                                                         .arg(QString::fromStdString(llama["tokens"].dump()),
                                                              QString::fromStdString(reef_["tokens"].dump()))));
  }

  void pytorchDecodesTheHuggingFaceFolderLikeReef() {
    const QString folder = dir_.filePath("hf");
    auto e = runReef({"export", QString::fromStdString(run_.string()), "--format", "hf", "--out", folder});
    QVERIFY2(e.exitCode == 0, qPrintable(e.err));
    for (const char* f : {"config.json", "generation_config.json", "model.safetensors", "tokenizer.model",
                          "tokenizer_config.json", "special_tokens_map.json"})
      QVERIFY2(QFile::exists(folder + "/" + f), f);
    auto r =
        runProgram("/usr/bin/python3", {sourceDir() + "/tests/consumers/hf_llama_greedy.py", folder,
                                        QString::fromStdString(reef_["prompt_ids"].dump()), QString::number(kTokens)});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QCOMPARE(jsonOf(r.out)["tokens"], reef_["tokens"]);
  }

  void aBundleCarriesTheModelAlone() {
    const QString bundle = dir_.filePath("kjv.reef");
    auto e = runReef({"export", QString::fromStdString(run_.string()), "--format", "bundle", "--out", bundle});
    QVERIFY2(e.exitCode == 0, qPrintable(e.err));
    // On a machine without the data (an empty data root): the bundle's tokenizer suffices.
    QTemporaryDir empty;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("REEF_DATA", empty.path());
    auto g = runReef({"generate", bundle, "--prompt", kPrompt, "--max-tokens", QString::number(kTokens),
                      "--temperature", "0", "--json"},
                     120000, env);
    QVERIFY2(g.exitCode == 0, qPrintable(g.err));
    QCOMPARE(jsonOf(g.out)["tokens"], reef_["tokens"]);
    QCOMPARE(jsonOf(g.out)["checkpoint"], reef_["checkpoint"]);
    auto noData = runReef({"eval", bundle}, 120000, env);
    QCOMPARE(noData.exitCode, 1);
    QVERIFY2(noData.err.contains("a bundle carries the tokenizer, not the datasets"), qPrintable(noData.err));
    // Where the data is, evaluation from the bundle equals evaluation of the run.
    auto fromBundle = runReef({"eval", bundle, "--json"});
    auto fromRun = runReef({"eval", QString::fromStdString(run_.string()), "--json"});
    QVERIFY2(fromBundle.exitCode == 0 && fromRun.exitCode == 0, qPrintable(fromBundle.err + fromRun.err));
    QCOMPARE(jsonOf(fromBundle.out)["metrics"], jsonOf(fromRun.out)["metrics"]);
    // And the bundle is what export consumes.
    const QString gguf = dir_.filePath("from-bundle.gguf");
    auto again = runReef({"export", bundle, "--format", "gguf", "--type", "f32", "--out", gguf});
    QVERIFY2(again.exitCode == 0, qPrintable(again.err));
    QVERIFY(QFileInfo(gguf).size() > 1000000);
    // A safetensors file that is not a bundle is refused with the reason.
    auto notBundle =
        runReef({"generate", QString::fromStdString((run_ / "checkpoints/step-80/model.safetensors").string()),
                 "--prompt", "x"});
    QCOMPARE(notBundle.exitCode, 1);
    QVERIFY2(notBundle.err.contains("not a Reef bundle"), qPrintable(notBundle.err));
  }

  void exportRefusesWhatItCannotWrite() {
    auto r = runReef({"export", QString::fromStdString(run_.string()), "--format", "tflite"});
    QCOMPARE(r.exitCode, 2);  // a usage error, naming the formats
    QVERIFY2(r.err.contains("hf") && r.err.contains("gguf") && r.err.contains("onnx"), qPrintable(r.err));
    // A known format the model cannot take names the ones it can (tst_onnx_export checks more).
    r = runReef({"export", QString::fromStdString(run_.string()), "--format", "triton"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("does not export as triton") && r.err.contains("gguf"), qPrintable(r.err));
  }
};

QTEST_GUILESS_MAIN(TestLlmExport)
#include "tst_llm_export.moc"

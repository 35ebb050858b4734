// The LLM collection end to end with the real reef binary on the prepared KJV shards: a short
// pretraining run reports held-out loss, perplexity and bits per byte beside xz; `reef eval`
// repeats them; `reef generate` gives the same tokens with and without the KV cache and honours
// stop strings; LoRA fine-tuning on next-verse pairs trains the adapters only, and the adapters
// extract alone and merge into a run that evaluates like the adapted one.
#include "backend/protocol/safetensors.h"
#include "tests/support/reef_cli.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <cstring>

using namespace reef;
using namespace reef::test;
namespace fs = std::filesystem;

namespace {

// The example's model, made small enough for the test suite.
const QStringList kSmall = {"--set", "model.dim=128",        "--set", "model.layers=2",
                            "--set", "data.batch_size=16",   "--set", "trainer.limit_val_batches=4",
                            "--set", "optim.warmup_steps=10"};

Json lastValues(const fs::path& run, const std::string& key) {
  Json found;
  for (const auto& m : eventsOfType(run, "metric"))
    if (m["values"].contains(key)) found = m["values"];
  return found;
}

Json jsonOf(const ReefRun& r) {
  const Json j = Json::parse(r.out.toStdString(), nullptr, false);
  return j.is_discarded() ? Json() : j;
}

}  // namespace

class TestLlmWorkflow : public QObject {
  Q_OBJECT
 private:
  QTemporaryDir dir_;
  fs::path base_;

 private Q_SLOTS:
  void initTestCase() {
    if (!fs::exists(fs::path(REEF_SOURCE_DIR) / "data/llm/kjv/meta.json"))
      QFAIL("run scripts/prepare-data.sh first (it prepares the kjv token shards)");
    base_ = fs::path(dir_.path().toStdString()) / "base";
  }

  void pretrainingReportsBitsPerByteBesideXz() {
    QStringList args = {"train", example("llm/kjv_llama.yaml"), "--run-dir", QString::fromStdString(base_.string()),
                        "--set", "trainer.max_steps=80",        "--set",     "trainer.val_interval=80"};
    const ReefRun r = runReef(args + kSmall, 240000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const Json val = lastValues(base_, "val/bpb");
    QVERIFY2(!val.is_null(), "no val/bpb metric");
    const double bpb = val["val/bpb"].get<double>(), loss = val["val/loss"].get<double>();
    // Uniform guessing over 2048 tokens is 11 bits per token, about 3.2 bits per byte here.
    QVERIFY2(bpb < 3.0, qPrintable(QString("val/bpb %1").arg(bpb)));
    QVERIFY(std::abs(val["val/ppl"].get<double>() - std::exp(loss)) < 1e-6 * std::exp(loss));
    QVERIFY2(std::abs(val["val/xz_bpb"].get<double>() - 2.17) < 0.05, "xz -9 on the held-out text");
    const Json perf = lastValues(base_, "perf/mfu");
    QVERIFY2(!perf.is_null() && perf["perf/tokens_per_s"].get<double>() > 0, "tokens/s and MFU are emitted");
    qInfo("short pretraining: val/bpb %.3f (xz %.3f) in %.1f s", bpb, val["val/xz_bpb"].get<double>(), r.seconds);

    const ReefRun e = runReef({"eval", QString::fromStdString(base_.string()), "--json"});
    QVERIFY2(e.exitCode == 0, qPrintable(e.err));
    const Json ev = jsonOf(e);
    QCOMPARE(ev["split"].get<std::string>(), std::string("val"));
    // limit_val_batches made the trainer's figure a sample; eval reads the whole split.
    QVERIFY(std::abs(ev["metrics"]["val/bpb"].get<double>() - bpb) < 0.1);
    for (const char* k : {"val/loss", "val/ppl", "val/bpb", "val/xz_bpb"}) QVERIFY2(ev["metrics"].contains(k), k);
  }

  void generationIsTheSameWithAndWithoutTheCache() {
    const QString run = QString::fromStdString(base_.string());
    for (const QStringList& sampling :
         {QStringList{"--temperature", "0"}, QStringList{"--temperature", "0.9", "--top-k", "40", "--top-p", "0.9",
                                                         "--seed", "11", "--repetition-penalty", "1.2"}}) {
      const QStringList common =
          QStringList{"generate", run, "--prompt", "And God said", "--max-tokens", "24", "--json"} + sampling;
      const ReefRun cached = runReef(common);
      const ReefRun plain = runReef(common + QStringList{"--no-cache"});
      QVERIFY2(cached.exitCode == 0 && plain.exitCode == 0, qPrintable(cached.err + plain.err));
      const Json a = jsonOf(cached), b = jsonOf(plain);
      QVERIFY(!a["tokens"].empty());
      QCOMPARE(a["tokens"], b["tokens"]);
      QCOMPARE(a["text"], b["text"]);
      // The first token's time (prompt, first-call kernels) is reported apart from the decoding rate.
      const double first = a["first_token_s"].get<double>();
      QVERIFY2(first > 0 && first < a["seconds"].get<double>(), a.dump().c_str());
      QVERIFY2(a["tokens"].size() < 2 || a["tokens_per_s"].get<double>() > 0, a.dump().c_str());
    }
    // Streaming: the text on stdout is the prompt and the result, cut before the stop string.
    const ReefRun streamed = runReef(
        {"generate", run, "--prompt", "And God said", "--max-tokens", "60", "--temperature", "0", "--stop", "d"});
    QVERIFY2(streamed.exitCode == 0, qPrintable(streamed.err));
    const QString generated = streamed.out.trimmed().mid(QString("And God said").size());
    QVERIFY2(!generated.contains('d'), qPrintable(streamed.out));
    QVERIFY2(streamed.err.contains("stop"), qPrintable(streamed.err));
  }

  void loraFineTuningTrainsAdaptersOnlyAndMerges() {
    const fs::path tuned = fs::path(dir_.path().toStdString()) / "tuned";
    QStringList args = {"train",     example("llm/kjv_sft_lora.yaml"),
                        "--run-dir", QString::fromStdString(tuned.string()),
                        "--set",     "trainer.init_from=" + QString::fromStdString(base_.string()),
                        "--set",     "trainer.max_steps=30",
                        "--set",     "trainer.val_interval=15",
                        "--set",     "data.context=96"};
    const ReefRun r = runReef(args + kSmall, 240000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const Json started = eventsOfType(tuned, "run_started").front();
    const auto all = started["parameters"].get<int64_t>(), trainable = started["trainable_parameters"].get<int64_t>();
    QVERIFY2(trainable > 0 && trainable * 20 < all, qPrintable(QString("%1 of %2 trainable").arg(trainable).arg(all)));
    std::vector<double> losses;
    for (const auto& m : eventsOfType(tuned, "metric"))
      if (m["values"].contains("val/loss")) losses.push_back(m["values"]["val/loss"].get<double>());
    QCOMPARE(losses.size(), size_t(2));
    QVERIFY2(losses.back() < losses.front(), "the masked fine-tuning loss falls");

    // The base stayed frozen: every base tensor of the fine-tuned checkpoint is the pretrained one.
    const auto baseFile = protocol::SafetensorsFile::open(base_ / "checkpoints/step-80/model.safetensors");
    const auto tunedFile = protocol::SafetensorsFile::open(tuned / "checkpoints/step-30/model.safetensors");
    size_t adapters = 0;
    for (const auto& t : tunedFile.tensors()) {
      if (t.name.find("lora_") != std::string::npos) {
        ++adapters;
        continue;
      }
      const auto* original = baseFile.find(t.name);
      QVERIFY2(original && original->nbytes == t.nbytes && std::memcmp(original->data, t.data, t.nbytes) == 0,
               t.name.c_str());
    }
    QCOMPARE(adapters, size_t(2 * 2 * 4));  // A and B, 2 layers, 4 projections

    const ReefRun extracted = runReef({"lora", "extract", QString::fromStdString(tuned.string())});
    QVERIFY2(extracted.exitCode == 0, qPrintable(extracted.err));
    const fs::path adapterDir = tuned / "exports/lora-step-30";
    const auto adapterFile = protocol::SafetensorsFile::open(adapterDir / "adapter_model.safetensors");
    QCOMPARE(adapterFile.tensors().size(), adapters);
    QVERIFY(adapterFile.find("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"));
    const Json config = Json::parse(fileBytes(adapterDir / "adapter_config.json"));
    QCOMPARE(config["r"].get<int>(), 8);

    const fs::path merged = fs::path(dir_.path().toStdString()) / "merged";
    const ReefRun m = runReef(
        {"lora", "merge", QString::fromStdString(tuned.string()), "--out", QString::fromStdString(merged.string())});
    QVERIFY2(m.exitCode == 0, qPrintable(m.err));
    const ReefRun evalTuned = runReef({"eval", QString::fromStdString(tuned.string()), "--json"});
    const ReefRun evalMerged = runReef({"eval", QString::fromStdString(merged.string()), "--json"});
    QVERIFY2(evalTuned.exitCode == 0 && evalMerged.exitCode == 0, qPrintable(evalTuned.err + evalMerged.err));
    const double a = jsonOf(evalTuned)["metrics"]["val/loss"].get<double>();
    const double b = jsonOf(evalMerged)["metrics"]["val/loss"].get<double>();
    QVERIFY2(std::abs(a - b) < 1e-4, qPrintable(QString("adapted %1, merged %2").arg(a).arg(b)));
    const auto mergedFile = protocol::SafetensorsFile::open(merged / "checkpoints/step-30/model.safetensors");
    for (const auto& t : mergedFile.tensors()) QVERIFY2(t.name.find("lora_") == std::string::npos, t.name.c_str());
  }
};

QTEST_GUILESS_MAIN(TestLlmWorkflow)
#include "tst_llm_workflow.moc"

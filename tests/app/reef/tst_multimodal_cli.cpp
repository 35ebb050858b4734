// The multimodal collection end to end with the real reef binary on the prepared data: a short
// CLIP run, `reef retrieve` (plain and JSON with PNGs, best first), a captioner started from the
// CLIP run's image encoder and kept frozen (its weights in the captioner's checkpoint are the CLIP
// encoder's, bit for bit), `reef caption` on an emoji PNG, and each command refusing the other
// model with a message that names it.
#include "backend/protocol/safetensors.h"
#include "tests/support/reef_cli.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cstring>

using namespace reef;
using namespace reef::test;
namespace fs = std::filesystem;

class TestMultimodalCli : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  fs::path clip_, captioner_;

  fs::path train(const QString& example, const QString& name, const QStringList& sets) {
    const fs::path run = fs::path(dir_.path().toStdString()) / "runs" / name.toStdString();
    QStringList args = {"train",       sourceDir() + "/resources/examples/multimodal/" + example,
                        "--workspace", dir_.path(),
                        "--run-dir",   QString::fromStdString(run.string()),
                        "--plain"};
    for (const auto& s : sets) args << "--set" << s;
    const ReefRun r = runReef(args, 240000);
    if (r.exitCode != 0) qWarning("%s", qPrintable(r.out + r.err));
    return r.exitCode == 0 ? run : fs::path();
  }

 private Q_SLOTS:
  void initTestCase() {
    clip_ = train("clip.yaml", "clip", {"trainer.max_steps=40", "trainer.val_interval=40", "data.batch_size=128"});
    QVERIFY(!clip_.empty());
    captioner_ = train("captioner.yaml", "captioner",
                       {"trainer.max_steps=30", "trainer.val_interval=30", "model.dim=64",
                        "model.image_encoder_from=" + QString::fromStdString(clip_.string())});
    QVERIFY(!captioner_.empty());
  }

  void retrieveRanksImages() {
    const ReefRun plain =
        runReef({"retrieve", QString::fromStdString(clip_.string()), "--query", "red heart", "--top", "5"});
    QVERIFY2(plain.exitCode == 0, qPrintable(plain.err));
    QCOMPARE(plain.out.trimmed().split('\n').size(), 5);
    const ReefRun json = runReef({"retrieve", QString::fromStdString(clip_.string()), "--query",
                                  "a photo of a dark narrow bag", "--split", "val", "--top", "8", "--json"});
    QVERIFY2(json.exitCode == 0, qPrintable(json.err));
    const Json j = Json::parse(json.out.toStdString());
    QCOMPARE(j["split"].get<std::string>(), std::string("val"));
    QCOMPARE(j["results"].size(), size_t(8));
    double previous = 2;
    for (const auto& r : j["results"]) {
      QVERIFY(r["score"].get<double>() <= previous);
      previous = r["score"].get<double>();
      QVERIFY(r["png"].get<std::string>().rfind("iVBORw0KGgo", 0) == 0);  // base64 of the PNG signature
      QVERIFY(!r["text"].get<std::string>().empty());
    }
  }

  void captionerKeepsTheClipEncoderFrozen() {
    const auto clipFile = protocol::SafetensorsFile::open(clip_ / "checkpoints/step-40/model.safetensors");
    const auto capFile = protocol::SafetensorsFile::open(captioner_ / "checkpoints/step-30/model.safetensors");
    int compared = 0;
    for (const auto& t : clipFile.tensors()) {
      if (t.name.rfind("image_encoder.", 0) != 0) continue;
      const auto* mine = capFile.find("vision_tower." + t.name.substr(std::strlen("image_encoder.")));
      QVERIFY2(mine, t.name.c_str());
      QVERIFY2(mine->nbytes == t.nbytes && std::memcmp(mine->data, t.data, t.nbytes) == 0, t.name.c_str());
      ++compared;
    }
    QVERIFY(compared >= 8);  // four convolutions and their batch norms
    QVERIFY(!eventsOfType(captioner_, "metric").empty());
    bool sawBleu = false;
    for (const auto& m : eventsOfType(captioner_, "metric"))
      sawBleu = sawBleu || (m["values"].contains("val/bleu") && m["values"].contains("val/bleu_shuffled"));
    QVERIFY(sawBleu);
  }

  void captionWritesAName() {
    // The data root as the engine finds it: $REEF_DATA, else the project's data/.
    const QString root =
        qEnvironmentVariableIsEmpty("REEF_DATA") ? sourceDir() + "/data" : qEnvironmentVariable("REEF_DATA");
    const QString png = root + "/multimodal/emoji/2764-fe0f.png";  // red heart
    const ReefRun r = runReef({"caption", QString::fromStdString(captioner_.string()), png, "--json"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const Json j = Json::parse(r.out.toStdString());
    QCOMPARE(j.size(), size_t(1));
    QVERIFY(j[0].contains("caption"));
    const ReefRun missing = runReef({"caption", QString::fromStdString(captioner_.string()), "/nonexistent.png"});
    QCOMPARE(missing.exitCode, 1);
    QVERIFY2(missing.err.contains("/nonexistent.png"), qPrintable(missing.err));
  }

  void commandsRefuseTheOtherModel() {
    const ReefRun caption = runReef({"caption", QString::fromStdString(clip_.string()), "x.png"});
    QCOMPARE(caption.exitCode, 1);
    QVERIFY2(caption.err.contains("needs a multimodal/captioner model") && caption.err.contains("multimodal/clip"),
             qPrintable(caption.err));
    const ReefRun retrieve = runReef({"retrieve", QString::fromStdString(captioner_.string()), "--query", "x"});
    QCOMPARE(retrieve.exitCode, 1);
    QVERIFY2(retrieve.err.contains("needs a multimodal/clip model"), qPrintable(retrieve.err));
  }
};

QTEST_GUILESS_MAIN(TestMultimodalCli)
#include "tst_multimodal_cli.moc"

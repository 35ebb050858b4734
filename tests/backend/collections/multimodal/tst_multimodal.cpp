// The multimodal collection on the prepared data (scripts/prepare-data.sh): manifests with
// deliberately broken lines (named by file and line), the split by item (no test emoji or test
// garment is a training image), captions that round-trip through the tokenizer, and short
// trainings: the CLIP model's loss falls and its retrieval and zero-shot figures beat chance by
// stated margins; the captioner, started from that CLIP image encoder (frozen), learns: its loss
// falls and its own image makes a test emoji's name likelier than another emoji's image does.
#include <torch/torch.h>

#include "backend/collections/collections.h"
#include "backend/collections/multimodal/captioner_model.h"
#include "backend/collections/multimodal/clip_model.h"
#include "backend/engine/core/data_settings.h"
#include "backend/engine/core/tensor_io.h"
#include "backend/engine/trainer/engine_catalog.h"
#include "backend/engine/trainer/optimizer.h"
#include "backend/protocol/spec.h"
#include "backend/protocol/yaml_json.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <random>
#include <set>

using namespace reef;
using namespace reef::engine;

namespace {

Json specFor(const std::string& model, const std::string& data = "") {
  Json raw = protocol::parseYaml(
      "model: {collection: multimodal, " + model + "}\ndata: {batch_size: 128, workers: 0" + data + "}", "test");
  return protocol::resolveSpec(raw, engine::engineCatalog(collections::builtinRegistry()), "test");
}

std::unique_ptr<Model> build(const Json& spec) {
  torch::manual_seed(0);
  return collections::builtinRegistry().create({spec, resolveDataRoot(DataSettings::fromSpec(spec))});
}

// Trains `steps` AdamW steps on random batches; returns the mean loss of the first and last ten.
std::pair<double, double> train(Model& model, int steps, double lr, int64_t batch) {
  auto set = model.dataset(Split::Train);
  model.module().train();
  OptimSettings opt;
  opt.name = "adamw";
  opt.lr = lr;
  NamedTensors params;
  for (const auto& p : model.module().named_parameters())
    if (p.value().requires_grad()) params.emplace_back(p.key(), p.value());
  Optimizer optimizer(params, opt);
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<int64_t> pick(0, set->size() - 1);
  double first = 0, last = 0;
  for (int s = 0; s < steps; ++s) {
    std::vector<int64_t> idx(static_cast<size_t>(batch));
    for (auto& i : idx) i = pick(rng);
    const torch::Tensor loss = model.trainingStep(set->get(idx));
    loss.backward();
    optimizer.step(opt.lr);
    optimizer.zeroGrad();
    if (s < 10) first += loss.item<double>() / 10;
    if (s >= steps - 10) last += loss.item<double>() / 10;
  }
  return {first, last};
}

MetricMap evaluate(Model& model, Split split) {
  model.module().eval();
  torch::NoGradGuard noGrad;
  auto eval = model.evaluation(split);
  auto set = model.dataset(split);
  for (int64_t b = 0; b < set->size(); b += 128) {
    std::vector<int64_t> idx;
    for (int64_t i = b; i < std::min(set->size(), b + 128); ++i) idx.push_back(i);
    eval->update(set->get(idx));
  }
  return eval->finish();
}

}  // namespace

class TestMultimodal : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::string clipWeights_;

  std::string write(const QString& name, const std::string& text) {
    const QString path = dir_.filePath(name);
    std::ofstream(path.toStdString()) << text;
    return path.toStdString();
  }

 private Q_SLOTS:
  void initTestCase() { torch::set_num_threads(2); }

  void brokenManifestsAreNamed_data() {
    QTest::addColumn<QString>("content");
    QTest::addColumn<QString>("expect");
    const std::string idx =
        (resolveDataRoot(DataSettings::fromSpec(specFor("arch: clip"))) / "fashion_mnist" / "t10k-images-idx3-ubyte")
            .string();
    auto line = [](const Json& j) { return QString::fromStdString(j.dump()); };
    const QString ok = line({{"image", idx}, {"index", 0}, {"text", "x"}, {"split", "train"}});
    QTest::newRow("not json") << ok + "\n{oops"
                              << "bad.jsonl:2: not a JSON object";
    QTest::newRow("no text") << line({{"image", "a.png"}, {"split", "train"}})
                             << "bad.jsonl:1: needs the string field 'text'";
    QTest::newRow("bad split") << line({{"image", "a.png"}, {"text", "x"}, {"split", "dev"}})
                               << "bad.jsonl:1: split 'dev' is not train, val or test";
    QTest::newRow("missing image") << line({{"image", "nowhere.png"}, {"text", "x"}, {"split", "train"}})
                                   << "cannot read image";
    QTest::newRow("index out of range") << line({{"image", idx}, {"index", 10000}, {"text", "x"}, {"split", "train"}})
                                        << "bad.jsonl:1: index 10000 is outside";
    QTest::newRow("no val items") << ok << "have no 'val' items";
  }

  void brokenManifestsAreNamed() {
    QFETCH(QString, content);
    QFETCH(QString, expect);
    const std::string path = write("bad.jsonl", content.toStdString() + "\n");
    try {
      auto model = build(specFor("arch: clip", ", manifests: '" + path + "'"));
      model->dataset(Split::Train);
      QFAIL("expected an error");
    } catch (const std::runtime_error& e) {
      QVERIFY2(QString(e.what()).contains(expect), e.what());
    }
  }

  void splitsAreByItemAndCaptionsRoundTrip() {
    auto model = build(specFor("arch: clip"));
    auto& clip = dynamic_cast<multimodal::ClipModel&>(*model);
    std::set<std::string> trainImages, trainEmoji;
    for (const auto& item : clip.split(Split::Train).items()) {
      trainImages.insert(item.image.string() + "#" + std::to_string(item.index));
      if (item.source == "emoji") trainEmoji.insert(item.text);
    }
    int64_t testEmoji = 0;
    for (Split split : {Split::Val, Split::Test})
      for (const auto& item : clip.split(split).items()) {
        QVERIFY2(!trainImages.count(item.image.string() + "#" + std::to_string(item.index)), item.image.c_str());
        testEmoji += item.source == "emoji" && split == Split::Test;
      }
    QVERIFY(testEmoji > 100);
    QCOMPARE(clip.split(Split::Test).sources(), (std::vector<std::string>{"emoji", "fashion"}));
    // Every caption, including the test emoji names the tokenizer never saw, decodes to itself.
    for (Split split : {Split::Train, Split::Test})
      for (const auto& item : clip.split(split).items())
        QCOMPARE(clip.tokenizer().decode(clip.tokenizer().encode(item.text)), item.text);
    // Balanced sources: the 1.5k training emoji are repeated to about the 12k training garments.
    QVERIFY(clip.split(Split::Train).size() > 20000);
  }

  void clipLearnsRetrievalAndZeroShot() {
    auto model = build(specFor("arch: clip"));
    const auto [first, last] = train(*model, 120, 2e-3, 128);
    const MetricMap m = evaluate(*model, Split::Test);
    qInfo(
        "clip: loss %.3f -> %.3f; fashion zero-shot %.3f (chance %.3f), i2t R@1 %.3f (chance %.3f); emoji i2t R@5 %.3f "
        "(chance %.3f), t2i R@5 %.3f (chance %.3f)",
        first, last, m.at("fashion_zeroshot_acc"), m.at("fashion_zeroshot_chance"), m.at("fashion_i2t_r1"),
        m.at("fashion_i2t_r1_chance"), m.at("emoji_i2t_r5"), m.at("emoji_i2t_r5_chance"), m.at("emoji_t2i_r5"),
        m.at("emoji_t2i_r5_chance"));
    QVERIFY(last < first - 1.0);
    QVERIFY(m.at("fashion_zeroshot_acc") > 3 * m.at("fashion_zeroshot_chance"));
    QVERIFY(m.at("fashion_i2t_r1") > 5 * m.at("fashion_i2t_r1_chance"));
    QVERIFY(m.at("emoji_i2t_r5") > 2 * m.at("emoji_i2t_r5_chance"));
    QVERIFY(m.at("emoji_t2i_r5") > 2 * m.at("emoji_t2i_r5_chance"));
    // The captioner below starts from this image encoder, as a CLIP run's checkpoint would give it.
    clipWeights_ = dir_.filePath("clip.safetensors").toStdString();
    saveTensors(clipWeights_, moduleState(model->module()));
  }

  void captionerLearnsFromTheImage() {
    QVERIFY2(!clipWeights_.empty(), "needs the CLIP model trained by clipLearnsRetrievalAndZeroShot");
    auto model =
        build(specFor("arch: captioner, dim: 96, layers: 2, heads: 4, max_context: 48, freeze_image_encoder: true, "
                      "image_encoder_from: '" +
                          clipWeights_ + "'",
                      ", manifests: multimodal/emoji.jsonl"));
    const auto [first, last] = train(*model, 400, 2e-3, 64);
    const MetricMap m = evaluate(*model, Split::Test);
    qInfo(
        "captioner: loss %.3f -> %.3f; test loss %.3f with the image, %.3f with another's; BLEU-1 %.3f vs %.3f; exact "
        "%.3f vs %.3f",
        first, last, m.at("loss"), m.at("loss_shuffled"), m.at("bleu1"), m.at("bleu1_shuffled"), m.at("exact_match"),
        m.at("exact_match_shuffled"));
    QVERIFY(last < first - 1.0);
    // Test emoji were never seen, so their names are hard to guess; what the image must show is
    // that it makes the right name likelier than another emoji's image does.
    QVERIFY(m.at("loss") < m.at("loss_shuffled") - 0.2);
    QVERIFY(m.at("bleu1") >= m.at("bleu1_shuffled"));
  }
};

QTEST_APPLESS_MAIN(TestMultimodal)
#include "tst_multimodal.moc"

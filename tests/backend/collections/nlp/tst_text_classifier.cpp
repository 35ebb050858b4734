// The NLP collection's text classifiers: JSON-lines and TSV data with deliberately broken fixtures
// (named by file and line), the split (each text where splitOfText puts it, whatever the file's
// format, the same on every load), padding that changes nothing (a text's logits alone equal its logits in a
// batch with a longer text), and short trainings on the fortunes in which both networks beat the
// majority class by a wide margin.
#include <torch/torch.h>

#include "backend/collections/collections.h"
#include "backend/collections/nlp/text_classifier.h"
#include "backend/engine/core/data_settings.h"
#include "backend/engine/trainer/engine_catalog.h"
#include "backend/engine/trainer/optimizer.h"
#include "backend/protocol/spec.h"
#include "backend/protocol/yaml_json.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <random>

using namespace reef;
using namespace reef::engine;

namespace {

const std::string kClasses = "computers, definitions, politics, science, songs-poems, zippy";

Json specFor(const std::string& arch, const std::string& data = "", const std::string& classes = kClasses) {
  Json raw = protocol::parseYaml("model: {collection: nlp, arch: " + arch +
                                     "}\ndata: {batch_size: 32, workers: 0, classes: '" + classes + "'" + data + "}",
                                 "test");
  return protocol::resolveSpec(raw, engine::engineCatalog(collections::builtinRegistry()), "test");
}

std::unique_ptr<Model> build(const Json& spec) {
  torch::manual_seed(0);
  return collections::builtinRegistry().create({spec, resolveDataRoot(DataSettings::fromSpec(spec))});
}

nlp::TextClassifier& classifierOf(Model& m) { return dynamic_cast<nlp::TextClassifier&>(m); }

std::map<int64_t, int64_t> labelCounts(Dataset& set) {
  std::map<int64_t, int64_t> counts;
  std::vector<int64_t> all(static_cast<size_t>(set.size()));
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
  const torch::Tensor labels = set.get(all).at("label");
  for (int64_t i = 0; i < labels.size(0); ++i) ++counts[labels[i].item<int64_t>()];
  return counts;
}

// Test accuracy after `steps` AdamW steps.
double trainAndTest(Model& model, int steps, double lr) {
  auto train = model.dataset(Split::Train);
  model.module().train();
  OptimSettings opt;
  opt.name = "adamw";
  opt.lr = lr;
  NamedTensors params;
  for (const auto& p : model.module().named_parameters()) params.emplace_back(p.key(), p.value());
  Optimizer optimizer(params, opt);
  std::mt19937_64 rng(1);
  std::uniform_int_distribution<int64_t> pick(0, train->size() - 1);
  for (int s = 0; s < steps; ++s) {
    std::vector<int64_t> idx(32);
    for (auto& i : idx) i = pick(rng);
    model.trainingStep(train->get(idx)).backward();
    optimizer.step(opt.lr);
    optimizer.zeroGrad();
  }
  model.module().eval();
  torch::NoGradGuard noGrad;
  auto eval = model.evaluation(Split::Test);
  auto test = model.dataset(Split::Test);
  for (int64_t b = 0; b < test->size(); b += 64) {
    std::vector<int64_t> idx;
    for (int64_t i = b; i < std::min(test->size(), b + 64); ++i) idx.push_back(i);
    eval->update(test->get(idx));
  }
  return eval->finish().at("acc");
}

}  // namespace

class TestTextClassifier : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;

  QString write(const QString& name, const std::string& text) {
    const QString path = dir_.filePath(name);
    std::ofstream(path.toStdString()) << text;
    return path;
  }

 private Q_SLOTS:
  void initTestCase() { torch::set_num_threads(2); }

  void tsvAndJsonLinesGiveTheSameSplit() {
    std::string tsv, jsonl;
    for (int i = 0; i < 60; ++i) {
      const std::string label = i % 3 == 0 ? "a" : "b";
      tsv += "text number " + std::to_string(i) + "\t" + label + "\n";
      jsonl += Json{{"sentence", "text number " + std::to_string(i)}, {"tag", label}}.dump() + "\n";
    }
    const QString t = write("small.tsv", tsv), j = write("small.jsonl", jsonl);
    auto fromTsv = build(specFor("bow", ", dataset: '" + t.toStdString() + "'", "a,b"));
    auto fromJson =
        build(specFor("bow", ", dataset: '" + j.toStdString() + "', text_field: sentence, label_field: tag", "a,b"));
    for (Split split : {Split::Train, Split::Val, Split::Test})
      QCOMPARE(labelCounts(*fromTsv->dataset(split)), labelCounts(*fromJson->dataset(split)));
    // Each text in the split its hash gives it: the one rule the pretraining corpus follows too.
    std::map<Split, std::map<int64_t, int64_t>> expected;
    for (int i = 0; i < 60; ++i) ++expected[nlp::splitOfText("text number " + std::to_string(i))][i % 3 == 0 ? 0 : 1];
    for (Split split : {Split::Train, Split::Val, Split::Test})
      QCOMPARE(labelCounts(*fromTsv->dataset(split)), expected[split]);
    QVERIFY(expected[Split::Train][1] > 20 && expected[Split::Test][1] > 0);
  }

  void brokenDataIsNamed_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("content");
    QTest::addColumn<QString>("expect");
    QTest::newRow("no tab") << "bad.tsv"
                            << "fine\ta\njust text\n"
                            << "bad.tsv:2: expected 'text<TAB>label'";
    QTest::newRow("not json") << "bad.jsonl"
                              << "{\"text\":\"x\",\"category\":\"a\"}\n{oops\n"
                              << "bad.jsonl:2: not a JSON object";
    QTest::newRow("missing field") << "field.jsonl"
                                   << "{\"body\":\"x\",\"category\":\"a\"}\n"
                                   << "field.jsonl:1: needs string fields 'text'";
    QTest::newRow("too few") << "few.tsv"
                             << "one\ta\ntwo\tb\n"
                             << "class 'a' has 1 examples";
  }

  void brokenDataIsNamed() {
    QFETCH(QString, file);
    QFETCH(QString, content);
    QFETCH(QString, expect);
    const QString path = write(file, content.toStdString());
    try {
      auto model = build(specFor("bow", ", dataset: '" + path.toStdString() + "'", "a,b"));
      model->dataset(Split::Train);
      QFAIL("expected an error");
    } catch (const std::runtime_error& e) {
      QVERIFY2(QString(e.what()).contains(expect), e.what());
    }
  }

  void paddingChangesNothing_data() {
    QTest::addColumn<QString>("arch");
    QTest::newRow("bow") << "bow";
    QTest::newRow("encoder") << "encoder";
  }

  void paddingChangesNothing() {
    QFETCH(QString, arch);
    auto model = build(specFor(arch.toStdString(), ", max_length: 64"));
    auto& m = classifierOf(*model);
    model->module().eval();
    torch::NoGradGuard noGrad;
    // Weights away from their zero start, so that the check means something for the baseline.
    for (auto& p : model->module().parameters()) p.normal_(0, 0.5);
    const auto shortIds = m.tokens("Hello world");
    const auto longIds = m.tokens("A much longer text about computers, politics and the science of songs");
    QVERIFY(longIds.size() > shortIds.size() + 5);
    auto row = [](const std::vector<int>& ids, int64_t length, int64_t pad) {
      std::vector<int64_t> v(ids.begin(), ids.end());
      v.resize(static_cast<size_t>(length), pad);
      return torch::tensor(v, torch::kInt64).view({1, length});
    };
    const int64_t n = static_cast<int64_t>(longIds.size());
    const torch::Tensor alone = m.logits(row(shortIds, static_cast<int64_t>(shortIds.size()), m.pad()));
    const torch::Tensor batched = m.logits(torch::cat({row(shortIds, n, m.pad()), row(longIds, n, m.pad())}));
    QVERIFY2(torch::allclose(alone[0], batched[0], 1e-5, 1e-5),
             qPrintable(QString::number((alone[0] - batched[0]).abs().max().item<double>())));
  }

  void bothNetworksLearnTheFortunes_data() {
    QTest::addColumn<QString>("arch");
    QTest::addColumn<int>("steps");
    QTest::addColumn<double>("lr");
    QTest::newRow("bow") << "bow" << 600 << 0.05;
    QTest::newRow("encoder") << "encoder" << 300 << 1e-3;
  }

  void bothNetworksLearnTheFortunes() {
    QFETCH(QString, arch);
    QFETCH(int, steps);
    QFETCH(double, lr);
    auto model = build(specFor(arch.toStdString(), arch == "encoder" ? ", max_length: 64" : ""));
    QCOMPARE(classifierOf(*model).classes().size(), size_t(6));
    const double acc = trainAndTest(*model, steps, lr);
    qInfo("%s: test accuracy %.3f after %d steps (majority class 0.25)", qPrintable(arch), acc, steps);
    // The largest class (definitions) is a quarter of the texts.
    QVERIFY2(acc > 0.5, qPrintable(QString::number(acc)));
  }
};

QTEST_APPLESS_MAIN(TestTextClassifier)
#include "tst_text_classifier.moc"

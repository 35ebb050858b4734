// The vision networks: output shapes, checkpoint names that reload into a fresh model, and a
// short training on real MNIST in which each one learns.
#include <torch/torch.h>

#include "backend/collections/collections.h"
#include "backend/engine/core/data_settings.h"
#include "backend/engine/core/tensor_io.h"
#include "backend/engine/trainer/engine_catalog.h"
#include "backend/engine/trainer/optimizer.h"
#include "backend/protocol/spec.h"
#include "backend/protocol/yaml_json.h"

#include <QtTest>

#include <numeric>

using namespace reef;
using namespace reef::engine;

namespace {

Json specFor(const std::string& arch, const std::string& extra = "") {
  Json raw = protocol::parseYaml(
      "model: {collection: vision, arch: " + arch + extra + "}\ndata: {batch_size: 32, workers: 0, val_size: 1000}",
      "test");
  return protocol::resolveSpec(raw, engine::engineCatalog(collections::builtinRegistry()), "test");
}

std::unique_ptr<Model> build(const Json& spec) {
  torch::manual_seed(0);
  return collections::builtinRegistry().create({spec, resolveDataRoot(DataSettings::fromSpec(spec))});
}

}  // namespace

class TestVisionModels : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { torch::set_num_threads(2); }

  void learnsOnMnist_data() {
    QTest::addColumn<QString>("arch");
    QTest::addColumn<QString>("extra");
    QTest::addColumn<int>("steps");
    QTest::newRow("cnn") << "cnn"
                         << "" << 60;
    QTest::newRow("resnet") << "resnet"
                            << ", width: 8, blocks: 1" << 150;
    QTest::newRow("vit") << "vit"
                         << ", dim: 32, depth: 2, heads: 2" << 250;
  }

  void learnsOnMnist() {
    QFETCH(QString, arch);
    QFETCH(QString, extra);
    QFETCH(int, steps);
    auto model = build(specFor(arch.toStdString(), extra.toStdString()));
    auto train = model->dataset(Split::Train);
    auto val = model->dataset(Split::Val);
    QCOMPARE(val->size(), int64_t(1000));
    model->to(torch::kCPU);
    model->module().train();
    OptimSettings opt;
    opt.name = "adamw";
    opt.lr = 2e-3;
    NamedTensors params;
    for (const auto& p : model->module().named_parameters()) params.emplace_back(p.key(), p.value());
    Optimizer optimizer(params, opt);
    double firstLoss = 0, lastLoss = 0;
    for (int step = 0; step < steps; ++step) {
      std::vector<int64_t> idx;
      for (int i = 0; i < 32; ++i) idx.push_back((step * 32 + i) % train->size());
      torch::Tensor loss = model->trainingStep(train->get(idx));
      loss.backward();
      optimizer.step(opt.lr);
      optimizer.zeroGrad();
      if (step < 5) firstLoss += loss.item<double>() / 5;
      if (step >= steps - 5) lastLoss += loss.item<double>() / 5;
    }
    QVERIFY2(lastLoss < 0.6 * firstLoss, qPrintable(QString("loss %1 -> %2").arg(firstLoss).arg(lastLoss)));

    // Accuracy on held-out images beats chance (10%) by a wide margin.
    torch::NoGradGuard noGrad;
    model->module().eval();
    auto evaluation = model->evaluation(Split::Val);
    std::vector<int64_t> idx(500);
    std::iota(idx.begin(), idx.end(), 0);
    evaluation->update(val->get(idx));
    const double acc = evaluation->finish().at("acc");
    QVERIFY2(acc > 0.6, qPrintable(QString("%1 val acc %2").arg(arch).arg(acc)));

    // Saved names reload into a freshly built model and give the same outputs.
    QTemporaryDir dir;
    const auto file = std::filesystem::path(dir.path().toStdString()) / "m.safetensors";
    saveTensors(file, moduleState(model->module()));
    auto fresh = build(specFor(arch.toStdString(), extra.toStdString()));
    loadModuleState(fresh->module(), file);
    fresh->to(torch::kCPU);
    fresh->module().eval();
    const auto probe = val->get({0, 1, 2});
    QVERIFY(torch::equal(model->trainingStep(probe), fresh->trainingStep(probe)));
  }

  void badArchitectureSettingsAreExplained() {
    try {
      build(specFor("vit", ", patch_size: 5"));
      QFAIL("expected an error");
    } catch (const std::runtime_error& e) {
      QVERIFY2(QString::fromUtf8(e.what()).contains("does not divide the 28x28"), e.what());
    }
  }

  // A model is built from the dataset's name (a bundle classifies without the images); the
  // images are needed, and asked for, only when a split is.
  void missingDatasetTellsHowToPrepareIt() {
    Json spec = specFor("cnn");
    spec["data"]["root"] = "/nonexistent-reef-data";
    auto model = build(spec);
    QCOMPARE(model->module().named_buffers()["input_std"].item<double>(), 1.0);
    try {
      model->dataset(reef::engine::Split::Train);
      QFAIL("expected an error");
    } catch (const std::runtime_error& e) {
      QVERIFY2(QString::fromUtf8(e.what()).contains("scripts/prepare-data.sh"), e.what());
    }
  }
};

QTEST_APPLESS_MAIN(TestVisionModels)
#include "tst_vision_models.moc"

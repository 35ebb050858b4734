// Exported image classifiers run in runtimes Reef did not write and compute what LibTorch does:
// short runs of the three vision networks (the CNN with batch norm, the ResNet with strided
// shortcuts, the ViT) are exported with `reef export --format onnx`, run on MNIST test images by
// onnxruntime (npm onnxruntime-node) and by OpenCV's DNN module, and their logits compared with
// the checkpoint's logits in LibTorch (1e-4; OpenCV 4.6 imports the convolutional ones only). The Triton repository's
// config names the graph's real inputs and outputs; exporting a language model as ONNX is refused with the alternative.
// The NLP text classifiers (bag of words, transformer encoder) go the same way on token ids.
#include "tests/support/reef_cli.h"

#include "backend/collections/collections.h"
#include "backend/collections/nlp/text_classifier.h"
#include "backend/collections/vision/image_classifier.h"
#include "backend/engine/trainer/loaded_run.h"

#include <opencv2/dnn.hpp>

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace reef;
using namespace reef::test;
namespace fs = std::filesystem;

namespace {

constexpr int kImages = 8;

Json jsonOf(const QString& text) {
  const Json j = Json::parse(text.toStdString(), nullptr, false);
  return j.is_discarded() ? Json() : j;
}

double maxDifference(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size()) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, double(std::abs(a[i] - b[i])));
  return worst;
}

}  // namespace

class TestOnnxExport : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  torch::Tensor images_;  // [kImages, 1, 28, 28], pixels in [0, 1]
  QString inputFile_;

  QString modules() const { return sourceDir() + "/data/consumers/node_modules"; }

  QString train(const QString& name, const QString& model) {
    const QString spec = dir_.filePath(name + ".yaml");
    std::ofstream(spec.toStdString()) << "exp: {name: " << name.toStdString() << "}\nmodel: {collection: vision, "
                                      << model.toStdString()
                                      << "}\ndata: {dataset: mnist, batch_size: 32, workers: 0, val_size: 500}\n"
                                         "trainer: {max_steps: 30, val_interval: 30, limit_val_batches: 2}\n";
    const QString run = dir_.filePath(name);
    auto r = runReef({"train", spec, "--run-dir", run, "--plain"}, 240000);
    if (r.exitCode != 0) qWarning("%s", qPrintable(r.err));
    return r.exitCode == 0 ? run : QString();
  }

  // The checkpoint's logits for the test images, in LibTorch.
  std::vector<float> torchLogits(const QString& run) {
    engine::LoadedRun loaded = engine::loadRun(collections::builtinRegistry(), run.toStdString(), "last", {});
    auto* model = dynamic_cast<vision::ImageClassifier*>(loaded.model.get());
    model->module().eval();
    torch::NoGradGuard noGrad;
    const torch::Tensor logits = model->logits(images_).contiguous();
    return {logits.data_ptr<float>(), logits.data_ptr<float>() + logits.numel()};
  }

  std::vector<float> onnxruntimeLogits(const QString& onnx, QString& error) {
    auto r = runProgram("node", {sourceDir() + "/tests/consumers/onnx_run.mjs", modules(), onnx, inputFile_,
                                 QString("[%1,1,28,28]").arg(kImages)});
    error = r.err;
    const Json out = jsonOf(r.out);
    if (r.exitCode != 0 || !out.contains("outputs")) return {};
    return out["outputs"]["logits"]["data"].get<std::vector<float>>();
  }

  std::vector<float> opencvLogits(const QString& onnx) {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(onnx.toStdString());
    const int dims[] = {kImages, 1, 28, 28};
    cv::Mat blob(4, dims, CV_32F, images_.data_ptr<float>());
    net.setInput(blob, "image");
    const cv::Mat out = net.forward("logits");
    return {out.ptr<float>(), out.ptr<float>() + out.total()};
  }

 private Q_SLOTS:
  void initTestCase() {
    if (!fs::exists(modules().toStdString() + "/onnxruntime-node/package.json"))
      QFAIL("run scripts/prepare-data.sh first (it installs onnxruntime-node for this test)");
    std::ifstream idx(sourceDir().toStdString() + "/data/mnist/t10k-images-idx3-ubyte", std::ios::binary);
    std::vector<uint8_t> bytes(static_cast<size_t>(kImages) * 784);
    idx.seekg(16);
    idx.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    QVERIFY(idx);
    images_ =
        torch::from_blob(bytes.data(), {kImages, 1, 28, 28}, torch::kUInt8).to(torch::kFloat32).div(255).contiguous();
    inputFile_ = dir_.filePath("images.f32");
    std::ofstream(inputFile_.toStdString(), std::ios::binary)
        .write(static_cast<const char*>(images_.data_ptr()), static_cast<std::streamsize>(images_.numel() * 4));
  }

  void runtimesAgreeWithLibTorch_data() {
    QTest::addColumn<QString>("model");
    // OpenCV 4.6's importer has no LayerNormalization (opset 17) and cannot broadcast the class
    // token over a dynamic batch, so it runs the convolutional networks only.
    QTest::addColumn<bool>("opencv");
    QTest::newRow("cnn") << "arch: cnn, width: 8, hidden: 32, batch_norm: true" << true;
    QTest::newRow("resnet") << "arch: resnet, width: 8, blocks: 2" << true;
    QTest::newRow("vit") << "arch: vit, dim: 32, depth: 2, heads: 2" << false;
  }

  void runtimesAgreeWithLibTorch() {
    QFETCH(QString, model);
    QFETCH(bool, opencv);
    const QString name = QString(QTest::currentDataTag());
    const QString run = train("onnx-" + name, model);
    QVERIFY(!run.isEmpty());
    const QString onnx = dir_.filePath(name + ".onnx");
    auto e = runReef({"export", run, "--format", "onnx", "--checkpoint", "last", "--out", onnx});
    QVERIFY2(e.exitCode == 0, qPrintable(e.err));
    const std::vector<float> reference = torchLogits(run);
    QCOMPARE(reference.size(), size_t(kImages * 10));
    QString error;
    const double ort = maxDifference(onnxruntimeLogits(onnx, error), reference);
    qInfo("%s: onnxruntime max |difference| %.2g", qPrintable(name), ort);
    QVERIFY2(ort <= 1e-4, qPrintable(QString("onnxruntime differs by %1 %2").arg(ort).arg(error)));
    if (opencv) {
      const double cvd = maxDifference(opencvLogits(onnx), reference);
      qInfo("%s: OpenCV DNN max |difference| %.2g", qPrintable(name), cvd);
      QVERIFY2(cvd <= 1e-4, qPrintable(QString("OpenCV DNN differs by %1").arg(cvd)));
    }
  }

  // Text classifiers: token ids with padding (texts of different lengths in one batch); the
  // tokenizer is written beside the graph.
  void textClassifiersAgreeWithLibTorch_data() {
    QTest::addColumn<QString>("model");
    QTest::newRow("bow") << "arch: bow";
    QTest::newRow("encoder") << "arch: encoder, dim: 32, depth: 2, heads: 2";
  }

  void textClassifiersAgreeWithLibTorch() {
    QFETCH(QString, model);
    const QString name = "text-" + QString(QTest::currentDataTag());
    const QString spec = dir_.filePath(name + ".yaml");
    std::ofstream(spec.toStdString())
        << "exp: {name: " << name.toStdString() << "}\nmodel: {collection: nlp, " << model.toStdString()
        << "}\ndata: {classes: 'computers, politics, zippy', max_length: 48, batch_size: 32, "
           "workers: 0}\ntrainer: {max_steps: 30, val_interval: 30, limit_val_batches: 2}\n";
    const QString run = dir_.filePath(name);
    auto r = runReef({"train", spec, "--run-dir", run, "--plain"}, 240000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const QString onnx = dir_.filePath(name + ".onnx");
    r = runReef({"export", run, "--format", "onnx", "--checkpoint", "last", "--out", onnx});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(QFile::exists(dir_.filePath(name + ".tokenizer.model")));

    engine::LoadedRun loaded = engine::loadRun(collections::builtinRegistry(), run.toStdString(), "last", {});
    auto* text = dynamic_cast<nlp::TextClassifier*>(loaded.model.get());
    text->module().eval();
    torch::NoGradGuard noGrad;
    const std::vector<std::string> texts = {"Computers are useless. They can only give you answers.",
                                            "Are we having fun yet?", "Politics is the art of the possible"};
    size_t longest = 0;
    std::vector<std::vector<int>> ids;
    for (const auto& t : texts) longest = std::max(longest, (ids.emplace_back(text->tokens(t))).size());
    torch::Tensor batch = torch::full({3, static_cast<int64_t>(longest)}, text->pad(), torch::kInt64);
    for (size_t i = 0; i < ids.size(); ++i)
      for (size_t j = 0; j < ids[i].size(); ++j) batch[static_cast<int64_t>(i)][static_cast<int64_t>(j)] = ids[i][j];
    const torch::Tensor logits = text->logits(batch).contiguous();
    const std::vector<float> reference(logits.data_ptr<float>(), logits.data_ptr<float>() + logits.numel());
    const QString input = dir_.filePath(name + ".i64");
    std::ofstream(input.toStdString(), std::ios::binary)
        .write(static_cast<const char*>(batch.data_ptr()), static_cast<std::streamsize>(batch.numel() * 8));
    auto o = runProgram("node", {sourceDir() + "/tests/consumers/onnx_run.mjs", modules(), onnx, input,
                                 QString("[3,%1]").arg(longest), "int64"});
    QVERIFY2(o.exitCode == 0, qPrintable(o.err));
    const Json out = jsonOf(o.out);
    QCOMPARE(out["inputs"], Json::array({"input_ids"}));
    const double ort = maxDifference(out["outputs"]["logits"]["data"].get<std::vector<float>>(), reference);
    qInfo("%s: onnxruntime max |difference| %.2g", qPrintable(name), ort);
    QVERIFY2(ort <= 1e-4, qPrintable(QString::number(ort)));
  }

  void tritonConfigMatchesTheGraph() {
    const QString run = dir_.filePath("onnx-cnn");
    QVERIFY2(fs::exists(run.toStdString()), "runs after runtimesAgreeWithLibTorch");
    const QString repo = dir_.filePath("triton");
    auto e = runReef({"export", run, "--format", "triton", "--checkpoint", "last", "--out", repo, "--max-batch", "32"});
    QVERIFY2(e.exitCode == 0, qPrintable(e.err));
    const fs::path model = fs::path(repo.toStdString()) / "onnx-cnn";
    const std::string config = fileBytes(model / "config.pbtxt");
    QVERIFY2(config.find("name: \"onnx-cnn\"") != std::string::npos, config.c_str());
    QVERIFY(config.find("platform: \"onnxruntime_onnx\"") != std::string::npos);
    QVERIFY(config.find("max_batch_size: 32") != std::string::npos);
    QVERIFY(config.find("dims: [ 1, 28, 28 ]") != std::string::npos);
    QVERIFY(config.find("dims: [ 10 ]") != std::string::npos);
    // The names in the config are the names onnxruntime finds in the repository's model.
    auto r = runProgram("node", {sourceDir() + "/tests/consumers/onnx_run.mjs", modules(),
                                 QString::fromStdString((model / "1" / "model.onnx").string()), inputFile_,
                                 QString("[%1,1,28,28]").arg(kImages)});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    const Json out = jsonOf(r.out);
    for (const auto& input : out["inputs"])
      QVERIFY(config.find("name: \"" + input.get<std::string>() +
                          "\"\n    data_type: TYPE_FP32\n    dims: [ 1, 28, 28 ]") != std::string::npos);
    for (const auto& [name, value] : out["outputs"].items()) {
      QVERIFY2(config.find("name: \"" + name + "\"\n    data_type: TYPE_FP32\n    dims: [ 10 ]") != std::string::npos,
               name.c_str());
      QCOMPARE(value["dims"], Json::array({kImages, 10}));
    }
    const std::string labels = fileBytes(model / "labels.txt");
    QCOMPARE(std::count(labels.begin(), labels.end(), '\n'), 10L);
    QVERIFY(labels.rfind("0\n1\n2\n", 0) == 0);
  }

  void languageModelsAreRefused() {
    const QString spec = dir_.filePath("lm.yaml");
    std::ofstream(spec.toStdString())
        << "model: {collection: llm, arch: llama, dim: 32, layers: 1, heads: 2, kv_heads: 1}\n"
           "data: {dataset: kjv, batch_size: 4}\ntrainer: {max_steps: 1, val_interval: 1, limit_val_batches: 1}\n";
    auto r = runReef({"train", spec, "--run-dir", dir_.filePath("lm"), "--plain"}, 120000);
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    r = runReef({"export", dir_.filePath("lm"), "--format", "onnx"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("does not export as onnx") && r.err.contains("gguf"), qPrintable(r.err));
  }
};

QTEST_GUILESS_MAIN(TestOnnxExport)
#include "tst_onnx_export.moc"

// Exported image classifiers run in runtimes Reef did not write and compute what LibTorch does:
// short runs of the three vision networks (the CNN with batch norm, the ResNet with strided
// shortcuts, the ViT) are exported with `reef export --format onnx`, run on MNIST test images by
// onnxruntime (npm onnxruntime-node) and by OpenCV's DNN module, and their logits compared with
// the checkpoint's logits in LibTorch (1e-4; OpenCV 4.6 imports the convolutional ones only). The Triton repository's
// config names the graph's real inputs and outputs; exporting a language model as ONNX is refused with the alternative.
// The NLP text classifiers (bag of words, transformer encoder) go the same way on token ids, the
// speech recognizer's acoustic model on log-mel features (its greedy transcript read from the
// exported vocabulary), and the CLIP model's image and text encoders on pictures and captions.
#include "tests/support/reef_cli.h"
#include "tests/support/speech_subset.h"

#include "backend/collections/asr/asr_model.h"
#include "backend/collections/collections.h"
#include "backend/collections/multimodal/clip_model.h"
#include "backend/collections/nlp/nlp_files.h"
#include "backend/collections/nlp/text_classifier.h"
#include "backend/collections/vision/image_classifier.h"
#include "backend/engine/trainer/loaded_run.h"
#include "backend/protocol/audio/audio_file.h"

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

std::vector<float> values(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kFloat32).contiguous();
  return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
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

  // Trains `yaml` for a few steps into <dir>/<name>; the run's folder, or empty.
  QString trainSpec(const QString& name, const std::string& yaml) {
    const QString spec = dir_.filePath(name + ".yaml");
    std::ofstream(spec.toStdString()) << "exp: {name: " << name.toStdString() << "}\n" << yaml;
    const QString run = dir_.filePath(name);
    auto r = runReef({"train", spec, "--run-dir", run, "--plain"}, 240000);
    if (r.exitCode != 0) qWarning("%s", qPrintable(r.err));
    return r.exitCode == 0 ? run : QString();
  }

  // onnxruntime's outputs for `input` (float32 or int64) fed to the graph's one input.
  Json runOnnxruntime(const QString& onnx, const torch::Tensor& input) {
    const torch::Tensor c = input.contiguous();
    const QString file = dir_.filePath("input.raw");
    std::ofstream(file.toStdString(), std::ios::binary)
        .write(static_cast<const char*>(c.data_ptr()), static_cast<std::streamsize>(c.numel() * c.element_size()));
    auto r = runProgram("node", {sourceDir() + "/tests/consumers/onnx_run.mjs", modules(), onnx, file,
                                 QString::fromStdString(Json(c.sizes().vec()).dump()),
                                 c.scalar_type() == torch::kInt64 ? "int64" : "float32"});
    if (r.exitCode != 0) qWarning("%s", qPrintable(r.err));
    return jsonOf(r.out);
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

  // The acoustic models on two utterances cut to one length (the graph has no lengths: it computes
  // what the network computes without padding), and its greedy transcript read back with nothing
  // but the exported vocabulary and the decoding its metadata describes.
  void speechRecognizersAgreeWithLibTorch_data() {
    QTest::addColumn<QString>("network");
    QTest::newRow("quartznet") << "arch: quartznet, channels: 32, blocks: 2, repeat: 1, epilogue: 32, kernel: 5";
    QTest::newRow("conformer") << "arch: conformer, dim: 32, layers: 2, heads: 2, conv_kernel: 7, subsampling: 4";
  }

  void speechRecognizersAgreeWithLibTorch() {
    QFETCH(QString, network);
    const QString name = "asr-" + QString(QTest::currentDataTag());
    const fs::path speech = dataRoot() / "speech/asr";
    const fs::path train = fs::path(dir_.path().toStdString()) / "asr_train.jsonl";
    subset(speech / "train.jsonl", "", 32, train);
    const QString run = trainSpec(
        name, "model: {collection: asr, " + network.toStdString() + ", decoder: greedy}\ndata: {train_manifest: '" +
                  train.string() + "', val_manifest: '" + train.string() + "', test_manifest: '" + train.string() +
                  "', batch_size: 8, workers: 0}\ntrainer: {max_steps: 6, val_interval: 6, limit_val_batches: 1}\n");
    QVERIFY(!run.isEmpty());
    const QString onnx = dir_.filePath(name + ".onnx");
    auto e = runReef({"export", run, "--format", "onnx", "--checkpoint", "last", "--out", onnx});
    QVERIFY2(e.exitCode == 0, qPrintable(e.err));
    const Json vocabulary = Json::parse(fileBytes(dir_.filePath(name + ".vocabulary.json").toStdString()));

    engine::LoadedRun loaded = engine::loadRun(collections::builtinRegistry(), run.toStdString(), "last", {});
    auto* model = dynamic_cast<asr::AsrModel*>(loaded.model.get());
    model->module().eval();
    torch::NoGradGuard noGrad;
    const auto entries = protocol::audio::readManifest(train);
    std::vector<torch::Tensor> clips;
    for (size_t i : {0, 1}) {
      const auto audio = protocol::audio::readAudio(entries[i].audio, model->sampleRate());
      clips.push_back(torch::tensor(audio.samples));
    }
    const int64_t samples = std::min(clips[0].size(0), clips[1].size(0));
    const torch::Tensor audio = torch::stack({clips[0].narrow(0, 0, samples), clips[1].narrow(0, 0, samples)});
    const torch::Tensor lengths = torch::full({2}, samples, torch::kInt64);
    const auto [features, frames] = model->features()(audio, lengths);
    const auto [logProbs, outFrames] = model->logProbs(audio, lengths);
    QCOMPARE(vocabulary["labels"].size(), size_t(logProbs.size(2)));
    QCOMPARE(vocabulary["n_mels"].get<int64_t>(), features.size(1));

    const Json out = runOnnxruntime(onnx, features);
    QCOMPARE(out["inputs"], Json::array({"features"}));
    const Json& ort = out["outputs"]["log_probs"];
    QCOMPARE(ort["dims"], Json(logProbs.sizes().vec()));
    const double difference = maxDifference(ort["data"].get<std::vector<float>>(), values(logProbs));
    qInfo("%s: onnxruntime max |difference| %.2g over %lld frames", qPrintable(name), difference,
          (long long)logProbs.size(1));
    QVERIFY2(difference <= 1e-4, qPrintable(QString::number(difference)));

    // CTC greedy as the metadata says: best label per frame, repeats merged, blanks dropped.
    const auto data = ort["data"].get<std::vector<float>>();
    const auto labels = vocabulary["labels"].get<std::vector<std::string>>();
    std::string text;
    int64_t previous = -1;
    for (int64_t f = 0; f < logProbs.size(1); ++f) {
      const auto first = data.begin() + f * logProbs.size(2);
      const auto best = std::max_element(first, first + logProbs.size(2)) - first;
      if (best != previous && best != 0) text += labels[static_cast<size_t>(best)];
      previous = best;
    }
    QCOMPARE(QString::fromStdString(model->vocabulary().normalise(text)),
             QString::fromStdString(model->decodeGreedy(logProbs[0], outFrames[0].item<int64_t>())));

    const QString repo = dir_.filePath("triton-" + name);
    e = runReef({"export", run, "--format", "triton", "--checkpoint", "last", "--out", repo, "--name", name});
    QVERIFY2(e.exitCode == 0, qPrintable(e.err));
    const std::string config = fileBytes((repo + "/" + name + "/config.pbtxt").toStdString());
    QVERIFY2(config.find("name: \"features\"\n    data_type: TYPE_FP32\n    dims: [ 80, -1 ]") != std::string::npos,
             config.c_str());
    QVERIFY(config.find("name: \"log_probs\"\n    data_type: TYPE_FP32\n    dims: [ -1, " +
                        std::to_string(logProbs.size(2)) + " ]") != std::string::npos);
  }

  // Both encoders: MNIST digits as RGB pictures, and captions of different lengths (padding).
  void clipEncodersAgreeWithLibTorch() {
    const QString run = trainSpec("clip",
                                  "model: {collection: multimodal, arch: clip, image_width: 8, embed_dim: 16, dim: 32, "
                                  "depth: 1, heads: 2}\ndata: {batch_size: 32, workers: 0}\n"
                                  "trainer: {max_steps: 4, val_interval: 4, limit_val_batches: 1}\n");
    QVERIFY(!run.isEmpty());
    auto e = runReef({"export", run, "--format", "onnx", "--checkpoint", "last", "--out", dir_.filePath("clip.onnx")});
    QVERIFY2(e.exitCode == 0, qPrintable(e.err));
    QVERIFY(QFile::exists(dir_.filePath("clip.tokenizer.model")));

    engine::LoadedRun loaded = engine::loadRun(collections::builtinRegistry(), run.toStdString(), "last", {});
    auto* clip = dynamic_cast<multimodal::ClipModel*>(loaded.model.get());
    clip->module().eval();
    torch::NoGradGuard noGrad;
    const torch::Tensor pictures = torch::constant_pad_nd(images_, {2, 2, 2, 2}).repeat({1, 3, 1, 1});  // 32x32 RGB
    Json out = runOnnxruntime(dir_.filePath("clip.image.onnx"), pictures);
    const double image = maxDifference(out["outputs"]["embeddings"]["data"].get<std::vector<float>>(),
                                       values(clip->embedImages(pictures)));
    const torch::Tensor tokens =
        clip->tokenBatch({"a photo of a seven", "two", "a small red heart with a white outline on it"});
    QVERIFY(tokens.eq(nlp::padId(clip->tokenizer())).any().item<bool>());
    out = runOnnxruntime(dir_.filePath("clip.text.onnx"), tokens);
    const double text = maxDifference(out["outputs"]["embeddings"]["data"].get<std::vector<float>>(),
                                      values(clip->network()->textEmbeddings(tokens)));
    qInfo("clip: onnxruntime max |difference| %.2g (images), %.2g (texts)", image, text);
    QVERIFY2(image <= 1e-4 && text <= 1e-4, qPrintable(QString("%1, %2").arg(image).arg(text)));
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

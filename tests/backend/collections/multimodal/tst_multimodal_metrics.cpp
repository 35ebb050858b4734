// The multimodal collection's measures and building blocks on hand-made cases: retrieval recall
// both ways with captions shared by several images, and its chance figures; the contrastive loss
// (aligned pairs cost little; a caption repeated in the batch is a positive of each of its images); corpus BLEU and
// exact match; image fitting (alpha on white, grey to RGB, area shrinking); base64 both ways; PNG
// written and read back.
#include <torch/torch.h>

#include "backend/collections/multimodal/caption_metrics.h"
#include "backend/collections/multimodal/clip_network.h"
#include "backend/collections/multimodal/image_loading.h"
#include "backend/collections/multimodal/retrieval_metrics.h"
#include "backend/protocol/base64.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>

using namespace reef;
using namespace reef::multimodal;

class TestMultimodalMetrics : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void recallCountsHitsBothWays() {
    // Four images, three texts; images 2 and 3 share text 2.
    const torch::Tensor sim = torch::tensor({{0.9, 0.1, 0.0},   // image 0 -> text 0: hit
                                             {0.8, 0.7, 0.1},   // image 1 -> text 0 first, its text 1 second
                                             {0.1, 0.2, 0.9},   // image 2 -> text 2: hit
                                             {0.3, 0.2, 0.1}},  // image 3 -> text 0 first, text 2 last
                                            torch::kFloat32);
    const std::vector<int64_t> textOf = {0, 1, 2, 2};
    const Recall r1 = recallAtK(sim, textOf, 1);
    QCOMPARE(r1.imageToText, 0.5);
    // Text 0's best image is 0 (hit), text 1's is image 1 (0.7 > 0.2, 0.2, 0.1: hit), text 2's is
    // image 2 (hit).
    QCOMPARE(r1.textToImage, 1.0);
    QCOMPARE(r1.imageToTextChance, 1.0 / 3);
    // Per text: 1/4, 1/4 and 2/4 of a random first image being one of its own.
    QVERIFY(std::abs(r1.textToImageChance - (0.25 + 0.25 + 0.5) / 3) < 1e-12);
    const Recall r2 = recallAtK(sim, textOf, 2);
    QCOMPARE(r2.imageToText, 0.75);  // image 3's text is still third
    QCOMPARE(r2.imageToTextChance, 2.0 / 3);
    // Two of four images at random: miss chance C(3,2)/C(4,2) = 1/2 for one image, C(2,2)/C(4,2) = 1/6 for two.
    QVERIFY(std::abs(r2.textToImageChance - (0.5 + 0.5 + 5.0 / 6) / 3) < 1e-12);
    const Recall every = recallAtK(sim, textOf, 10);
    QCOMPARE(every.imageToText, 1.0);
    QCOMPARE(every.imageToTextChance, 1.0);
    QCOMPARE(every.textToImageChance, 1.0);
  }

  void contrastiveLossRewardsAlignment() {
    torch::manual_seed(0);
    const auto unit = [](const torch::Tensor& x) { return x / x.norm(2, 1, true); };
    const torch::Tensor e = unit(torch::randn({8, 16}));
    const torch::Tensor ids = torch::arange(8);
    const torch::Tensor scale = torch::tensor(20.0);
    const double aligned = clipLoss(e, e, ids, scale).item<double>();
    const double shuffled = clipLoss(e, e.roll(1, 0), ids, scale).item<double>();
    QVERIFY2(aligned < 0.1 && shuffled > 5 * aligned, qPrintable(QString("%1 vs %2").arg(aligned).arg(shuffled)));
    // Targets by hand on two orthogonal pairs with scale 1 (logits = identity): distinct captions
    // give each row -log(e / (e + 1)); one caption shared by both pairs makes both texts right for
    // both images, half the target mass each: -(log(e / (e + 1)) + log(1 / (e + 1))) / 2.
    const torch::Tensor pair = torch::eye(2);
    const double e1 = std::exp(1.0);
    const double distinct = clipLoss(pair, pair, torch::tensor({0, 1}), torch::tensor(1.0)).item<double>();
    const double shared = clipLoss(pair, pair, torch::tensor({5, 5}), torch::tensor(1.0)).item<double>();
    QVERIFY(std::abs(distinct - std::log(1 + 1 / e1)) < 1e-6);
    QVERIFY(std::abs(shared - (std::log(1 + e1) - 0.5)) < 1e-6);
  }

  void bleuAndExactMatch() {
    QCOMPARE(corpusBleu({"red heart", "face with tears of joy"}, {"red heart", "face with tears of joy"}), 1.0);
    QCOMPARE(exactMatch({"red heart", "blue  heart"}, {"red heart", "blue heart"}), 1.0);
    QCOMPARE(exactMatch({"red heart", "green heart"}, {"red heart", "blue heart"}), 0.5);
    // Unigrams 3/4 (one "the" clipped to the reference's count), bigrams 2/3 ("the cat", "cat
    // sat"; not "the the"), no brevity penalty: BLEU-2 = sqrt(3/4 * 2/3) = sqrt(1/2).
    QVERIFY(std::abs(corpusBleu({"the the cat sat"}, {"the cat sat down"}, 2) - std::sqrt(0.5)) < 1e-12);
    // Shorter than the reference: BLEU-1 = 1 (both words match) times exp(1 - 4/2).
    QVERIFY(std::abs(corpusBleu({"cat sat"}, {"the cat sat down"}, 1) - std::exp(-1.0)) < 1e-12);
    QCOMPARE(corpusBleu({"dog"}, {"cat"}), 0.0);
    QCOMPARE(corpusBleu({"red heart"}, {"red heart"}, 4), 0.0);  // no 3- or 4-grams at all: undefined, 0
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, corpusBleu({"a"}, {}));
  }

  void imagesAreFittedToTheModelsSquare() {
    // RGBA: a transparent pixel becomes white, an opaque one keeps its colour.
    torch::Tensor rgba = torch::zeros({4, 2, 2});
    rgba[0][0][0] = 1;  // red, opaque
    rgba[3][0][0] = 1;
    const torch::Tensor rgb = fitImage(rgba, 2);
    QCOMPARE(rgb.sizes(), (std::vector<int64_t>{3, 2, 2}));
    QCOMPARE(rgb[0][0][0].item<float>(), 1.0f);
    QCOMPARE(rgb[1][0][0].item<float>(), 0.0f);
    QCOMPARE(rgb.select(1, 1).min().item<float>(), 1.0f);  // the transparent row: white
    // Grey repeats into three channels; shrinking 4x4 -> 2x2 averages each 2x2 block.
    const torch::Tensor grey = torch::arange(16, torch::kFloat32).view({1, 4, 4}) / 15;
    const torch::Tensor small = fitImage(grey, 2);
    QVERIFY(torch::equal(small[0], small[2]));
    QVERIFY(std::abs(small[0][0][0].item<float>() - (0 + 1 + 4 + 5) / 60.0f) < 1e-6);
    // Growing keeps values in range and the size asked for.
    QCOMPARE(fitImage(grey, 8).sizes(), (std::vector<int64_t>{3, 8, 8}));
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, fitImage(torch::zeros({2, 4, 4}), 4));
  }

  void base64RoundTrips() {
    for (const std::string s :
         {std::string(), std::string("f"), std::string("fo"), std::string("foo"), std::string("\x89PNG\r\n", 6)}) {
      const std::string encoded = protocol::encodeBase64(s);
      QCOMPARE(encoded.size() % 4, size_t(0));
      const auto decoded = protocol::decodeBase64(encoded);
      QCOMPARE(std::string(decoded.begin(), decoded.end()), s);
    }
    QCOMPARE(protocol::encodeBase64("foob"), std::string("Zm9vYg=="));
  }

  void pngsRoundTripThroughTheImageLoader() {
    const torch::Tensor image = torch::rand({3, 6, 6});
    const std::string png = encodePng(image);
    QVERIFY(png.rfind("\x89PNG", 0) == 0);
    QTemporaryDir dir;
    const std::string file = dir.filePath("x.png").toStdString();
    std::ofstream(file, std::ios::binary) << png;
    const torch::Tensor back = loadImageFile(file, 6);
    QVERIFY((back - image).abs().max().item<double>() <= 0.5 / 255 + 1e-6);
    std::ofstream(dir.filePath("bad.png").toStdString()) << "not an image";
    try {
      loadImageFile(dir.filePath("bad.png").toStdString(), 6);
      QFAIL("expected an error");
    } catch (const std::runtime_error& e) {
      QVERIFY2(QString(e.what()).contains("bad.png' is not a PNG or JPEG"), e.what());
    }
  }
};

QTEST_APPLESS_MAIN(TestMultimodalMetrics)
#include "tst_multimodal_metrics.moc"

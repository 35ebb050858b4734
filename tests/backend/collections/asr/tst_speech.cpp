// The speech collections' pieces on inputs whose answers are known: the engine's log-mel against
// the torch-free reference, CTC decoding (with a word language model and a lexicon) and forced
// alignment on hand-built log-probabilities, pitch of a tone, Griffin-Lim keeping a tone's
// frequency, length bucketing, and the networks' shapes and frame counts.
#include <torch/torch.h>

#include "backend/collections/asr/conformer.h"
#include "backend/collections/asr/ctc_alignment.h"
#include "backend/collections/asr/ctc_decoding.h"
#include "backend/collections/asr/quartznet.h"
#include "backend/collections/asr/speech_features.h"
#include "backend/collections/asr/word_language_model.h"
#include "backend/collections/tts/fastpitch.h"
#include "backend/collections/tts/griffin_lim.h"
#include "backend/collections/tts/pitch_tracking.h"
#include "backend/collections/tts/tts_corpus.h"
#include "backend/engine/core/data_loader.h"

#include <QtTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

using namespace reef;

namespace {

torch::Tensor sine(double hz, double seconds, int rate = 16000) {
  return 0.5 * torch::sin(2 * M_PI * hz * torch::arange(static_cast<int64_t>(seconds * rate), torch::kFloat64) / rate)
                   .to(torch::kFloat32);
}

// Log-probabilities [T, V] from per-frame probability rows.
torch::Tensor frames(const std::vector<std::vector<double>>& rows) {
  std::vector<double> flat;
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return torch::log(torch::tensor(flat).reshape({static_cast<int64_t>(rows.size()), -1}));
}

// Log-probabilities of CTC frames over characters, built a frame at a time: each frame gives the
// named characters their probability and spreads the rest evenly.
class Spelling {
 public:
  explicit Spelling(const asr::AsrVocabulary& vocabulary) : vocabulary_(vocabulary) {}
  Spelling& frame(const std::vector<std::pair<char, double>>& mass) {
    std::vector<double> row(static_cast<size_t>(vocabulary_.size()), 0.0);
    double rest = 1;
    for (const auto& [c, p] : mass) row[static_cast<size_t>(id(c))] = p, rest -= p;
    for (auto& p : row)
      if (p == 0) p = rest / static_cast<double>(vocabulary_.size() - static_cast<int64_t>(mass.size()));
    rows_.push_back(row);
    return *this;
  }
  Spelling& spell(const std::string& text) {
    for (const char c : text) frame({{c, 0.9}});
    return *this;
  }
  torch::Tensor logProbs() const { return frames(rows_); }

 private:
  int64_t id(char c) const {
    const auto& alphabet = vocabulary_.alphabet();
    return std::find(alphabet.begin(), alphabet.end(), std::string(1, c)) - alphabet.begin() + 1;
  }
  const asr::AsrVocabulary& vocabulary_;
  std::vector<std::vector<double>> rows_;
};

double dominantHz(const torch::Tensor& signal, int rate = 16000) {
  const auto spectrum = torch::fft_rfft(signal.to(torch::kFloat64)).abs();
  return spectrum.argmax().item<int64_t>() * static_cast<double>(rate) / signal.size(0);
}

class LengthDataset : public engine::Dataset {
 public:
  explicit LengthDataset(std::vector<double> lengths) : lengths_(std::move(lengths)) {}
  int64_t size() const override { return static_cast<int64_t>(lengths_.size()); }
  engine::Batch get(const std::vector<int64_t>& indices) const override {
    engine::Batch b;
    b.fields["index"] = torch::tensor(indices);
    b.size = static_cast<int64_t>(indices.size());
    return b;
  }
  std::vector<double> lengths() const override { return lengths_; }

 private:
  std::vector<double> lengths_;
};

}  // namespace

class TestSpeech : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void engineLogMelEqualsTheReference() {
    protocol::audio::MelOptions o;
    const auto wave = sine(1000, 0.7) + 0.1 * sine(3100, 0.7);
    const std::vector<float> samples(wave.data_ptr<float>(), wave.data_ptr<float>() + wave.numel());
    const auto reference = torch::tensor(protocol::audio::logMelSpectrogram(samples, o)).reshape({-1, o.nMels});
    const asr::LogMelFeatures features(o);
    const auto engine = features.logMel(wave);
    QCOMPARE(engine.size(0), reference.size(0));
    // Float32 FFT against a double one: within 1e-3 where there is energy (the log floor aside).
    const auto loud = reference > std::log(1e-3);
    QVERIFY(loud.sum().item<int64_t>() > 200);
    const double worst = (engine - reference).abs().masked_select(loud).max().item<double>();
    QVERIFY2(worst < 1e-3, std::to_string(worst).c_str());
  }

  void batchedFeaturesAreNormalisedPerUtterance() {
    const asr::LogMelFeatures features({});
    auto audio = torch::zeros({2, 16000});
    audio[0].copy_(sine(500, 1.0));
    audio[1].narrow(0, 0, 8000).copy_(sine(2000, 0.5));
    const auto [f, n] = features(audio, torch::tensor({16000, 8000}, torch::kInt64));
    QCOMPARE(n[1].item<int64_t>(), int64_t(51));
    const auto valid = f[1].narrow(1, 0, 51);
    QVERIFY(valid.mean(1).abs().max().item<double>() < 1e-4);                     // zero mean per channel
    QVERIFY(f[1].narrow(1, 51, f.size(2) - 51).abs().max().item<double>() == 0);  // padding stays zero
  }

  void specAugmentMasksBands() {
    torch::manual_seed(3);
    auto f = torch::ones({1, 80, 200});
    asr::specAugment(f, torch::tensor({200}, torch::kInt64), {2, 15, 2, 0.05});
    const double masked = (f == 0).sum().item<double>() / f.numel();
    QVERIFY(masked > 0 && masked < 0.5);
  }

  void ctcGreedyMergesRepeatsAndDropsBlanks() {
    // Labels 0 blank, 1 'a', 2 'b'. Frames: a a blank a b b -> "a a b".
    const auto lp =
        frames({{0.1, 0.8, 0.1}, {0.1, 0.8, 0.1}, {0.8, 0.1, 0.1}, {0.1, 0.8, 0.1}, {0.1, 0.1, 0.8}, {0.1, 0.1, 0.8}});
    QCOMPARE(asr::ctcGreedy(lp, 6), (std::vector<int64_t>{1, 1, 2}));
    QCOMPARE(asr::ctcGreedy(lp, 2), (std::vector<int64_t>{1}));  // only the valid frames count
  }

  void beamSearchSumsAlignmentsGreedyCannot() {
    // Two frames. Greedy takes blank twice (p=0.36): empty. But "a" has probability
    // 0.4*0.6 + 0.6*0.4 + 0.4*0.4 = 0.64: the beam finds it.
    const auto lp = frames({{0.6, 0.4}, {0.6, 0.4}});
    QVERIFY(asr::ctcGreedy(lp, 2).empty());
    QCOMPARE(asr::ctcBeamSearch(lp, 2, {4, 2, -50}), (std::vector<int64_t>{1}));
  }

  void languageModelIsADistribution() {
    const auto lm = asr::WordLanguageModel::fromSentences({"the cat sat", "the cat ran", "a dog sat", "the dog"});
    QCOMPARE(lm.words(), size_t(7));                    // the cat sat ran a dog </s>
    double sum = std::exp(lm.logProb("the", "zebra"));  // the one slot all unknown words share
    for (const char* w : {"the", "cat", "sat", "ran", "a", "dog", "</s>"}) sum += std::exp(lm.logProb("the", w));
    QVERIFY2(std::abs(sum - 1) < 1e-9, std::to_string(sum).c_str());
    QVERIFY(lm.logProb("the", "cat") > lm.logProb("the", "sat"));  // seen after "the" beats seen elsewhere
    QVERIFY(lm.logProb("the", "sat") > lm.logProb("the", "zebra"));
    QVERIFY(lm.beginsAWord("ca") && !lm.beginsAWord("ka"));
  }

  void languageModelFixesASpellingTheAcousticsPrefer() {
    const auto vocabulary = asr::AsrVocabulary::characters(" abcdefghijklmnopqrstuvwxyz'");
    const auto lm = asr::WordLanguageModel::fromSentences({"the cat sat", "the cat ran", "a cat"});
    // Frames spelling "the kat" most likely; 'c' a close second on the fifth.
    Spelling spelling(vocabulary);
    spelling.spell("the ").frame({{'k', 0.5}, {'c', 0.4}}).spell("at");
    const auto lp = spelling.logProbs();
    QCOMPARE(vocabulary.decode(asr::ctcGreedy(lp, 7)), std::string("the kat"));
    QCOMPARE(vocabulary.decode(asr::ctcBeamSearch(lp, 7, {8, 8, -50})), std::string("the kat"));
    const asr::LexiconScorer scorer(lm, vocabulary, 0.5, 1.0);
    QCOMPARE(vocabulary.decode(asr::ctcBeamSearch(lp, 7, {8, 8, -50}, &scorer)), std::string("the cat"));
  }

  void lexiconLetsTheBeamSpellWordsTheTextNeverHad() {
    const auto vocabulary = asr::AsrVocabulary::characters(" abcdefghijklmnopqrstuvwxyz'");
    auto lm = asr::WordLanguageModel::fromSentences({"the cat sat", "the cat ran", "a cat"});
    // "the zebro" a little more likely than "the zebra": neither is in the text.
    Spelling spelling(vocabulary);
    spelling.spell("the zebr").frame({{'o', 0.45}, {'a', 0.4}});
    const auto lp = spelling.logProbs();
    const int64_t frames = lp.size(0);
    const asr::LexiconScorer textOnly(lm, vocabulary, 1.0, 1.0);
    QCOMPARE(vocabulary.decode(asr::ctcBeamSearch(lp, frames, {8, 8, -50}, &textOnly)), std::string("the zebro"));

    QTemporaryDir dir;
    const auto words = std::filesystem::path(dir.path().toStdString()) / "words.txt";
    std::ofstream(words) << "Zebra\nzebra crossing\n\nquagga\ncat\n";
    lm.addLexicon(words, vocabulary);
    QVERIFY(lm.knows("zebra") && lm.knows("quagga"));
    QVERIFY(!lm.knows("crossing"));                                  // a phrase is not a word of the lexicon
    QCOMPARE(lm.words(), size_t(8));                                 // the cat sat ran a </s>, zebra, quagga
    QVERIFY(lm.logProb("the", "cat") > lm.logProb("the", "zebra"));  // a word of the text stays likelier
    QVERIFY(lm.logProb("the", "zebra") > lm.unknownLogProb("the"));
    const asr::LexiconScorer withLexicon(lm, vocabulary, 1.0, 1.0);
    QCOMPARE(vocabulary.decode(asr::ctcBeamSearch(lp, frames, {8, 8, -50}, &withLexicon)), std::string("the zebra"));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, lm.addLexicon(words.parent_path() / "missing.txt", vocabulary));
  }

  void forcedAlignmentGivesEachLabelItsFrames() {
    // "ab" over 6 frames: a on frames 0-1, blank 2, b on 3, blank 4-5.
    const auto lp =
        frames({{0.1, 0.8, 0.1}, {0.1, 0.8, 0.1}, {0.8, 0.1, 0.1}, {0.1, 0.1, 0.8}, {0.8, 0.1, 0.1}, {0.8, 0.1, 0.1}});
    QCOMPARE(asr::ctcLabelDurations(lp, 6, {1, 2}), (std::vector<int64_t>{3, 3}));
    // A repeated label needs a blank between: "aa" in 2 frames is impossible.
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, asr::ctcLabelDurations(lp, 2, {1, 1}));
    QCOMPARE(asr::ctcLabelDurations(lp, 3, {1, 1}), (std::vector<int64_t>{2, 1}));
    // The same alignment's emitting frames: a on 0-1, b on 3 (the blanks around them excluded).
    const auto spans = asr::ctcLabelSpans(lp, 6, {1, 2});
    QCOMPARE(spans.size(), size_t(2));
    QCOMPARE(spans[0].first, int64_t(0));
    QCOMPARE(spans[0].last, int64_t(1));
    QCOMPARE(spans[1].first, int64_t(3));
    QCOMPARE(spans[1].last, int64_t(3));
  }

  void melDurationsScaleAndSumToTheFrames() {
    QCOMPARE(tts::melDurations({2, 3, 1}, 2, 11), (std::vector<int64_t>{4, 6, 1}));
    QCOMPARE(tts::melDurations({2, 3, 1}, 2, 12), (std::vector<int64_t>{4, 6, 2}));
    QCOMPARE(tts::melDurations({1, 1}, 2, 3), (std::vector<int64_t>{2, 1}));
  }

  void pitchOfATone() {
    const auto f0 = tts::trackPitch(torch::cat({sine(200, 0.5), torch::zeros({8000})}));
    QCOMPARE(f0.size(0), int64_t(101));
    QVERIFY(std::abs(f0[25].item<double>() - 200) < 4);
    QCOMPARE(f0[90].item<double>(), 0.0);  // silence is unvoiced
  }

  void griffinLimKeepsATonesFrequencyAndLength() {
    protocol::audio::MelOptions o;
    const asr::LogMelFeatures features(o);
    const auto mel = features.logMel(sine(700, 1.0));
    const tts::GriffinLim vocoder(o, 16);
    const auto wave = vocoder(mel);
    QCOMPARE(wave.size(0), (mel.size(0) - 1) * o.hop);
    // Mel bins near 700 Hz are ~25 Hz wide: the tone comes back within one of them.
    QVERIFY2(std::abs(dominantHz(wave) - 700) < 40, std::to_string(dominantHz(wave)).c_str());
  }

  void bucketingBatchesSimilarLengthsDeterministically() {
    std::vector<double> lengths;
    for (int i = 0; i < 400; ++i) lengths.push_back(std::fmod(i * 7.31, 10.0));
    auto ds = std::make_shared<LengthDataset>(lengths);
    engine::DataLoader a(ds, {20, true, true, 5, 0, 2}), b(ds, {20, true, true, 5, 2, 2});
    double spread = 0;
    std::set<int64_t> seen;
    for (int batch = 0; batch < 20; ++batch) {
      const auto ia = a.next().at("index"), ib = b.next().at("index");
      QVERIFY(torch::equal(ia, ib));
      double lo = 1e9, hi = -1;
      for (int64_t i = 0; i < ia.numel(); ++i) {
        const double l = lengths[static_cast<size_t>(ia[i].item<int64_t>())];
        lo = std::min(lo, l), hi = std::max(hi, l);
        seen.insert(ia[i].item<int64_t>());
      }
      spread += hi - lo;
    }
    QCOMPARE(seen.size(), size_t(400));                                // still a permutation
    QVERIFY2(spread / 20 < 2.0, std::to_string(spread / 20).c_str());  // unbucketed: ~9.5
  }

  void networksMapFramesToLabels() {
    const auto features = torch::randn({2, 80, 101});
    const auto n = torch::tensor({101, 60}, torch::kInt64);
    asr::QuartzNetOptions q;
    q.channels = 32, q.blocks = 2, q.epilogue = 32;
    asr::QuartzNet quartz(q);
    auto [logits, frames] = quartz->forward(features, n);
    QCOMPARE(logits.sizes(), (torch::IntArrayRef{2, 51, 29}));
    QCOMPARE(frames[1].item<int64_t>(), int64_t(30));
    asr::ConformerOptions c;
    c.dim = 32, c.layers = 1, c.subsampling = 4;
    asr::Conformer conformer(c);
    conformer->eval();
    auto [cl, cf] = conformer->forward(features, n);
    QCOMPARE(cl.sizes(), (torch::IntArrayRef{2, 26, 29}));
    QCOMPARE(cf[1].item<int64_t>(), int64_t(15));
    // Padding does not leak into the real frames.
    auto [alone, aloneFrames] = conformer->forward(features[1].narrow(1, 0, 60).unsqueeze(0), n.narrow(0, 1, 1));
    QVERIFY(torch::allclose(alone[0], cl[1].narrow(0, 0, 15), 1e-4, 1e-4));
  }

  void fastPitchRegulatesLengthByDurations() {
    tts::FastPitchOptions o;
    o.dim = 32, o.encoderLayers = 1, o.decoderLayers = 1, o.convHidden = 64;
    tts::FastPitch net(o);
    net->eval();
    const auto text = torch::tensor({3, 4, 5, 0, 0, 6, 7, 0, 0, 0}, torch::kInt64).reshape({2, 5});
    const auto lengths = torch::tensor({3, 2}, torch::kInt64);
    const auto durations = torch::tensor({2, 3, 4, 0, 0, 5, 1, 0, 0, 0}, torch::kInt64).reshape({2, 5});
    const auto out = net->forward(text, lengths, durations, torch::zeros({2, 5}));
    QCOMPARE(out.frames[0].item<int64_t>(), int64_t(9));
    QCOMPARE(out.frames[1].item<int64_t>(), int64_t(6));
    QCOMPARE(out.mel.sizes(), (torch::IntArrayRef{2, 9, 80}));
    const auto predicted = net->forward(text, lengths);  // synthesis: at least one frame a character
    QVERIFY(predicted.frames[0].item<int64_t>() >= 3);
  }
};

QTEST_APPLESS_MAIN(TestSpeech)
#include "tst_speech.moc"

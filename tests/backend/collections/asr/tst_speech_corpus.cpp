// The general speech corpus of scripts/prepare-data.sh (resources/data/speech_corpus.js) keeps the
// promises its WER figures rest on: no held-out sentence is spoken in training or counted by the
// language model, no held-out voice is heard in training, every source is tested, and the
// generated test sentences need words that training never spelled but the lexicon knows.
#include "backend/protocol/audio/speech_manifest.h"
#include "backend/protocol/audio/word_errors.h"
#include "tests/support/speech_subset.h"

#include <QtTest>

#include <fstream>
#include <map>
#include <set>
#include <string>

using namespace reef;
namespace fs = std::filesystem;

namespace {

const fs::path corpus() { return test::dataRoot() / "speech/asr"; }

std::vector<protocol::audio::ManifestEntry> manifest(const std::string& split) {
  return protocol::audio::readManifest(corpus() / (split + ".jsonl"));
}

std::set<std::string> lines(const fs::path& file) {
  std::ifstream in(file);
  std::set<std::string> out;
  for (std::string line; std::getline(in, line);) out.insert(line);
  return out;
}

// "en-us+m3" -> "m3": the voice variant, which is what the splits keep apart.
std::string variant(const std::string& speaker) { return speaker.substr(speaker.find('+') + 1); }

}  // namespace

class TestSpeechCorpus : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() {
    if (!fs::exists(corpus() / "general_test.jsonl"))
      QFAIL(qPrintable(QString::fromStdString((corpus() / "general_test.jsonl").string()) +
                       " is missing: run scripts/prepare-data.sh"));
    for (const auto& e : manifest("general_train")) trainTexts_.insert(e.text), trainVoices_.insert(variant(e.speaker));
  }

  void heldOutSentencesAreNeitherSpokenNorCounted() {
    const auto lm = lines(corpus() / "lm_text.txt");
    QVERIFY(lm.size() > 50000);
    for (const char* split : {"general_test", "general_val"})
      for (const auto& e : manifest(split)) {
        QVERIFY2(!trainTexts_.count(e.text), e.text.c_str());
        QVERIFY2(!lm.count(e.text), e.text.c_str());
      }
  }

  void heldOutVoicesAreNeverHeard() {
    std::set<std::string> testVoices, valVoices;
    for (const auto& e : manifest("general_test")) testVoices.insert(variant(e.speaker));
    for (const auto& e : manifest("general_val")) valVoices.insert(variant(e.speaker));
    QCOMPARE(testVoices.size(), size_t(8));
    QCOMPARE(valVoices.size(), size_t(6));
    for (const auto& v : testVoices) QVERIFY2(!trainVoices_.count(v) && !valVoices.count(v), v.c_str());
    for (const auto& v : valVoices) QVERIFY2(!trainVoices_.count(v), v.c_str());
  }

  void everySourceIsTrainedAndTested() {
    std::map<std::string, int> test, train;
    for (const auto& e : manifest("general_test")) ++test[e.extra.value("kind", "")];
    for (const auto& e : manifest("general_train")) ++train[e.extra.value("kind", "")];
    QCOMPARE(test,
             (std::map<std::string, int>{{"fortune", 200}, {"generated", 200}, {"kjv", 200}, {"templates", 200}}));
    for (const char* kind : {"fortune", "kjv", "generated", "digits", "date", "time", "names", "bible"})
      QVERIFY2(train[kind] >= 500, kind);
  }

  void generatedTestWordsAreNewToTrainingButInTheLexicon() {
    std::set<std::string> spelled;
    for (const auto& text : trainTexts_)
      for (const auto& w : protocol::audio::words(text)) spelled.insert(w);
    const auto lexicon = lines(corpus() / "lexicon.txt");
    QVERIFY(lexicon.size() > 90000);
    int generated = 0, needNewWord = 0;
    for (const auto& e : manifest("general_test")) {
      if (e.extra.value("kind", "") != "generated") continue;
      ++generated;
      bool fresh = false;
      for (const auto& w : protocol::audio::words(e.text)) {
        QVERIFY2(lexicon.count(w), w.c_str());
        fresh = fresh || !spelled.count(w);
      }
      needNewWord += fresh;
    }
    // The frames' own words recur; most dictionary words filling them were never spoken in training.
    QVERIFY2(needNewWord > generated * 3 / 4, qPrintable(QString("%1 of %2").arg(needNewWord).arg(generated)));
  }

 private:
  std::set<std::string> trainTexts_, trainVoices_;
};

QTEST_GUILESS_MAIN(TestSpeechCorpus)
#include "tst_speech_corpus.moc"

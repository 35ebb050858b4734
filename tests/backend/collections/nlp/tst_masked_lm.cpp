// Masked-language-model pretraining of the NLP encoder: whole words are masked together (BERT's
// 80/10/10 inside them), the pretraining corpus never holds a text that a fine-tune holds out,
// and through `reef train`: the pretraining loss falls, and a text classifier started from the
// pretrained run (trainer.init_from: its trunk, not its head) is ahead of a fresh one.
#include <torch/torch.h>

#include "backend/collections/collections.h"
#include "backend/collections/nlp/masked_lm_model.h"
#include "backend/collections/nlp/nlp_files.h"
#include "backend/engine/core/data_settings.h"
#include "backend/engine/trainer/engine_catalog.h"
#include "backend/protocol/spec.h"
#include "backend/protocol/yaml_json.h"
#include "tests/support/reef_cli.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <fstream>
#include <numeric>

using namespace reef;
using namespace reef::test;
namespace fs = std::filesystem;

namespace {

text::Tokenizer fortunesTokenizer() {
  const Json spec = protocol::resolveSpec(protocol::parseYaml("model: {collection: nlp, arch: mlm}", "t"),
                                          engine::engineCatalog(collections::builtinRegistry()), "t");
  return text::Tokenizer::load(engine::resolveDataRoot(engine::DataSettings::fromSpec(spec)) /
                               "nlp/fortunes/tokenizer.model");
}

// The value of `key` at each validation of `run`, in order.
std::vector<double> validations(const fs::path& run, const std::string& key) {
  std::vector<double> out;
  for (const Json& m : eventsOfType(run, "metric"))
    if (m["values"].contains(key)) out.push_back(m["values"][key].get<double>());
  return out;
}

std::string runLog(const fs::path& run) {
  std::string out;
  for (const Json& l : eventsOfType(run, "log")) out += l["message"].get<std::string>() + "\n";
  return out;
}

}  // namespace

class TestMaskedLm : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  fs::path pretrained_;

  fs::path train(const QString& name, const QString& spec, const QStringList& sets) {
    const fs::path run = fs::path(dir_.filePath(name).toStdString());
    QStringList args = {"train", example(spec), "--run-dir", QString::fromStdString(run.string()), "--plain"};
    // A smaller trunk than the examples', the same for the pretraining and the fine-tunes.
    for (const QString& s : sets + QStringList{"data.workers=0", "trainer.log_interval=10", "model.dim=64",
                                               "model.depth=2", "data.max_length=64"})
      args << "--set" << s;
    const ReefRun r = runReef(args, 600000);
    if (r.exitCode != 0) qWarning("%s%s", qPrintable(r.out), qPrintable(r.err));
    return r.exitCode == 0 ? run : fs::path();
  }

 private Q_SLOTS:
  void initTestCase() { torch::set_num_threads(2); }

  void wholeWordsAreMaskedTogether() {
    const text::Tokenizer tokenizer = fortunesTokenizer();
    nlp::MaskedLmCorpus corpus{{fs::path(dir_.filePath("words.txt").toStdString())}, "text", 0.0, 64};
    {
      std::ofstream out(corpus.files[0]);
      for (int i = 0; i < 400; ++i)
        out << "Antidisestablishmentarianism notwithstanding, the quartermaster " << i << " unequivocally refused.\n";
    }
    const auto data = nlp::loadMaskedLmData(corpus, tokenizer);
    std::vector<int64_t> all(static_cast<size_t>(data.train->size()));
    std::iota(all.begin(), all.end(), 0);
    const engine::Batch batch = data.train->get(all);
    const torch::Tensor tokens = batch.at("tokens"), starts = batch.at("word_start");
    const int pad = nlp::padId(tokenizer);
    auto masked = nlp::maskWholeWords(tokens, starts, pad, tokenizer.unk(), tokenizer.vocabSize(), 0.3,
                                      at::detail::createCPUGenerator(7));
    const auto again = nlp::maskWholeWords(tokens, starts, pad, tokenizer.unk(), tokenizer.vocabSize(), 0.3,
                                           at::detail::createCPUGenerator(7));
    QVERIFY(torch::equal(masked.inputs, again.inputs));  // a fixed generator draws the same masks
    int64_t words = 0, chosenWords = 0, chosenPieces = 0, toMask = 0, kept = 0;
    for (int64_t row = 0; row < tokens.size(0); ++row) {
      int64_t wordChosen = -1;  // of the word being read: -1 before the first
      for (int64_t j = 0; j < tokens.size(1); ++j) {
        const bool target = masked.targets[row][j].item<int64_t>() != -100;
        if (tokens[row][j].item<int64_t>() == pad) {
          QVERIFY2(!target, "padding was masked");
          continue;
        }
        if (starts[row][j].item<bool>()) {
          wordChosen = target;
          ++words;
          chosenWords += target;
        } else if (wordChosen >= 0) {
          QCOMPARE(int64_t(target), wordChosen);  // every piece of a word goes with its first
        }
        if (!target) continue;
        QCOMPARE(masked.targets[row][j].item<int64_t>(), tokens[row][j].item<int64_t>());
        ++chosenPieces;
        toMask += masked.inputs[row][j].item<int64_t>() == tokenizer.unk();
        kept += masked.inputs[row][j].item<int64_t>() == tokens[row][j].item<int64_t>();
      }
    }
    const double share = double(chosenWords) / double(words), maskShare = double(toMask) / double(chosenPieces);
    qInfo("%lld words, %.3f chosen; of their %lld pieces %.3f masked, %.3f kept", static_cast<long long>(words), share,
          static_cast<long long>(chosenPieces), maskShare, double(kept) / double(chosenPieces));
    QVERIFY(words > 2000);
    QVERIFY(std::abs(share - 0.3) < 0.03);
    QVERIFY(std::abs(maskShare - 0.8) < 0.04);
    QVERIFY(std::abs(double(kept) / double(chosenPieces) - 0.1) < 0.03);
  }

  void heldOutTextsAreNeverTrainedOn() {
    const text::Tokenizer tokenizer = fortunesTokenizer();
    nlp::MaskedLmCorpus corpus{{fs::path(dir_.filePath("held.txt").toStdString())}, "text", 0.0, 128};
    std::vector<std::string> texts;
    {
      std::ofstream out(corpus.files[0]);
      for (int i = 0; i < 300; ++i) {
        texts.push_back("passage number " + std::to_string(i * 7919) + " ends here");
        out << texts.back() << "\n";
      }
    }
    const auto data = nlp::loadMaskedLmData(corpus, tokenizer);
    std::vector<int> pieces;  // of every training example in order: a passage cut between two reads whole
    for (int64_t i = 0; i < data.train->size(); ++i) {
      const torch::Tensor t = data.train->get({i}).at("tokens")[0];
      pieces.insert(pieces.end(), t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.size(0));
    }
    const std::string trained = tokenizer.decode(pieces);
    int held = 0;
    for (const std::string& text : texts) {
      const bool train = nlp::splitOfText(text) == engine::Split::Train;
      held += !train;
      QVERIFY2((trained.find(text) != std::string::npos) == train, text.c_str());
    }
    qInfo("%d of %zu passages held out", held, texts.size());
    QVERIFY(held > 30 && held < 90);  // a fifth of them, give or take
  }

  void pretrainingLossFalls() {
    pretrained_ = train("mlm", "nlp/fortunes_kjv_mlm.yaml",
                        {"trainer.max_steps=1500", "trainer.val_interval=500", "trainer.limit_val_batches=10",
                         "optim.warmup_steps=100", "trainer.test_at_end=false"});
    QVERIFY(!pretrained_.empty());
    const auto loss = validations(pretrained_, "val/loss"), acc = validations(pretrained_, "val/acc");
    QCOMPARE(loss.size(), size_t(3));
    qInfo("val/loss %.3f %.3f %.3f (uniform: %.3f), val/acc %.3f %.3f %.3f", loss[0], loss[1], loss[2],
          std::log(2048.0), acc[0], acc[1], acc[2]);
    QVERIFY(loss[2] < loss[0] - 0.1);
    QVERIFY(loss[2] < std::log(2048.0) - 1.5);
    QVERIFY(acc[2] > acc[0]);
  }

  // Fine-tuning from the pretrained run takes its trunk and leaves its head; at each validation of
  // the same steps on the same batches, the classifier so started is ahead of one started from
  // nothing.
  void aFineTuneFromThePretrainedRunStartsAhead() {
    QVERIFY2(!pretrained_.empty(), "needs the run of pretrainingLossFalls");
    const QStringList sets = {"trainer.max_steps=100", "trainer.val_interval=50", "trainer.test_at_end=false"};
    const fs::path fresh = train("fresh", "nlp/fortunes_encoder.yaml", sets);
    const fs::path tuned =
        train("tuned", "nlp/fortunes_encoder.yaml",
              sets + QStringList{"trainer.init_from=" + QString::fromStdString(pretrained_.string())});
    QVERIFY(!fresh.empty() && !tuned.empty());
    const std::string log = runLog(tuned);
    QVERIFY2(
        log.find("new for this task: head.bias, head.weight; not used: mlm_bias, mlm_norm.bias") != std::string::npos,
        log.c_str());
    const auto a = validations(fresh, "val/loss"), b = validations(tuned, "val/loss");
    QCOMPARE(a.size(), size_t(2));
    QCOMPARE(b.size(), size_t(2));
    qInfo("classifier val/loss at steps 50 and 100: %.3f %.3f from nothing, %.3f %.3f from the pretrained run", a[0],
          a[1], b[0], b[1]);
    QVERIFY(b[0] < a[0]);
    QVERIFY(b[1] < a[1]);
  }
};

QTEST_GUILESS_MAIN(TestMaskedLm)
#include "tst_masked_lm.moc"

// Punctuation and capitalisation restoration: the word labels of hand-made sentences, labels on a
// word's first (capital) and last (mark) piece only, and a short training on the fortunes whose
// restoration beats the rule baseline measured on the same split, and whose restored text keeps
// every word; the context convolution between trunk and heads restores more marks than the trunk
// alone in the same steps.
#include <torch/torch.h>

#include "backend/collections/collections.h"
#include "backend/collections/nlp/punctuation_model.h"
#include "backend/engine/core/data_settings.h"
#include "backend/engine/trainer/engine_catalog.h"
#include "backend/engine/trainer/optimizer.h"
#include "backend/protocol/spec.h"
#include "backend/protocol/yaml_json.h"

#include <QtTest>

#include <optional>
#include <random>

using namespace reef;
using namespace reef::engine;
using reef::nlp::Word;

class TestPunctuation : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { torch::set_num_threads(2); }

  void wordsAndTheirLabels() {
    const auto words = nlp::labelledWords("\"Hello, world!\" It's me: Bob; ok? e.g. -- (yes).");
    const std::vector<std::string> texts{"hello", "world", "it's", "me", "bob", "ok", "eg", "yes"};
    const std::vector<int> marks{1, 0, 0, 0, 0, 3, 2, 2};  // ! : ; are not among the marks
    const std::vector<bool> capitals{true, false, true, false, true, false, false, false};
    QCOMPARE(words.size(), texts.size());
    for (size_t i = 0; i < words.size(); ++i) {
      QCOMPARE(words[i].text, texts[i]);
      QCOMPARE(words[i].mark, marks[i]);
      QCOMPARE(words[i].capital, bool(capitals[i]));
    }
    // A lone mark belongs to the word before it.
    const auto dash = nlp::labelledWords("wait , then");
    QCOMPARE(dash.size(), size_t(2));
    QCOMPARE(dash[0].mark, 1);
  }

  void labelsSitOnFirstAndLastPieces() {
    const Json spec = protocol::resolveSpec(protocol::parseYaml("model: {collection: nlp, arch: punctuation}", "t"),
                                            engine::engineCatalog(collections::builtinRegistry()), "t");
    const auto tokenizer =
        text::Tokenizer::load(resolveDataRoot(DataSettings::fromSpec(spec)) / "nlp/fortunes/tokenizer.model");
    const std::vector<Word> words{{"antidisestablishmentarianism", 2, true}, {"is", 0, false}};
    const auto e = nlp::tagWords(words, tokenizer, 64);
    QVERIFY(e.tokens.size() >= 3);  // the long word takes several pieces
    const size_t n = e.tokens.size();
    QCOMPARE(e.capital.front(), 1);
    QCOMPARE(e.punctuation[n - 2], 2);  // the long word's last piece: its period
    QCOMPARE(e.capital[n - 1], 0);      // "is": one piece, both labels
    QCOMPARE(e.punctuation[n - 1], 0);
    for (size_t j = 1; j + 2 < n; ++j) {
      QCOMPARE(e.capital[j], -100);
      QCOMPARE(e.punctuation[j], -100);
    }
    // Cut at a word boundary.
    QCOMPARE(nlp::tagWords(words, tokenizer, static_cast<int64_t>(n - 1)).tokens.size(), n - 1);
  }

  void shortTrainingBeatsTheRuleBaseline() {
    auto [model, m] = trainBriefly(0);
    plain_ = m;
    QVERIFY(m.at("punct_f1") > m.at("rule_punct_f1") + 0.05);
    QVERIFY(m.at("capital_f1") > m.at("rule_capital_f1") + 0.05);
    const std::string restored = dynamic_cast<nlp::PunctuationModel&>(*model).restore("what is the time i asked him");
    qInfo("restored: %s", restored.c_str());
    auto words = nlp::labelledWords(restored);
    QCOMPARE(words.size(), size_t(7));
    QCOMPARE(words[6].text, std::string("him"));
  }

  // The trunk alone hardly knows which words follow a word; the context convolution does, and in
  // the same steps it restores clearly more marks.
  void contextConvolutionFindsMoreMarks() {
    const MetricMap plain = plain_ ? *plain_ : trainBriefly(0).second;
    auto [model, context] = trainBriefly(9);
    QVERIFY(context.at("punct_f1") > plain.at("punct_f1") + 0.05);
    QVERIFY(context.at("capital_f1") > plain.at("capital_f1"));
    const std::string restored = dynamic_cast<nlp::PunctuationModel&>(*model).restore("what is the time i asked him");
    QCOMPARE(nlp::labelledWords(restored).size(), size_t(7));
  }

 private:
  std::optional<MetricMap> plain_;  // the first test's figures, reused by the comparison

  // 400 steps of a small model with the given model.context_kernel, evaluated on the test split.
  static std::pair<std::unique_ptr<Model>, MetricMap> trainBriefly(int64_t contextKernel) {
    Json raw = protocol::parseYaml("model: {collection: nlp, arch: punctuation, dim: 96, depth: 2, context_kernel: " +
                                       std::to_string(contextKernel) + "}\n" +
                                       "data: {batch_size: 32, workers: 0, max_length: 64}",
                                   "t");
    const Json spec = protocol::resolveSpec(raw, engine::engineCatalog(collections::builtinRegistry()), "t");
    torch::manual_seed(0);
    auto model = collections::builtinRegistry().create({spec, resolveDataRoot(DataSettings::fromSpec(spec))});
    auto train = model->dataset(Split::Train);
    model->module().train();
    OptimSettings opt;
    opt.name = "adamw";
    opt.lr = 2e-3;
    NamedTensors params;
    for (const auto& p : model->module().named_parameters()) params.emplace_back(p.key(), p.value());
    Optimizer optimizer(params, opt);
    std::mt19937_64 rng(1);
    std::uniform_int_distribution<int64_t> pick(0, train->size() - 1);
    for (int s = 0; s < 400; ++s) {
      std::vector<int64_t> idx(32);
      for (auto& i : idx) i = pick(rng);
      model->trainingStep(train->get(idx)).backward();
      optimizer.step(opt.lr);
      optimizer.zeroGrad();
    }
    model->module().eval();
    torch::NoGradGuard noGrad;
    auto eval = model->evaluation(Split::Test);
    auto test = model->dataset(Split::Test);
    for (int64_t b = 0; b < test->size(); b += 64) {
      std::vector<int64_t> idx;
      for (int64_t i = b; i < std::min(test->size(), b + 64); ++i) idx.push_back(i);
      eval->update(test->get(idx));
    }
    MetricMap m = eval->finish();
    qInfo(
        "context_kernel %lld: punctuation F1 %.3f (rule %.3f), capital F1 %.3f (rule %.3f), comma F1 %.3f, "
        "period F1 %.3f, question F1 %.3f",
        static_cast<long long>(contextKernel), m.at("punct_f1"), m.at("rule_punct_f1"), m.at("capital_f1"),
        m.at("rule_capital_f1"), m.at("comma_f1"), m.at("period_f1"), m.at("question_f1"));
    return {std::move(model), std::move(m)};
  }
};

QTEST_APPLESS_MAIN(TestPunctuation)
#include "tst_punctuation.moc"

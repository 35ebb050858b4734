// Parameter importance: the parameter that drives the metric ranks first, one that does nothing
// gets almost nothing, a conditional parameter is handled, and 1,000 trials take under a second.
#include "backend/protocol/yaml_json.h"
#include "backend/sweep/importance.h"
#include "backend/sweep/sampler.h"

#include <QElapsedTimer>
#include <QtTest>

#include <cmath>

using namespace reef;
using namespace reef::sweep;

namespace {

SweepSpec space(int runCap) {
  const std::string text =
      "base: {model: {collection: vision, arch: cnn}}\nmethod: random\nseed: 5\nrun_cap: " + std::to_string(runCap) +
      "\nparameters:\n"
      "  optim.lr: {distribution: log_uniform, min: 1.0e-5, max: 1.0}\n"
      "  model.width: {distribution: int_uniform, min: 8, max: 64}\n"
      "  model.dropout: {min: 0.0, max: 0.5}\n"
      "  optim.name: [sgd, adamw]\n"
      "  optim.momentum: {min: 0.0, max: 0.99, when: {optim.name: sgd}}\n";
  return parseSweep(protocol::parseYaml(text, "s.yaml"), "s.yaml", ".");
}

// lr matters most, width and momentum (only with sgd) less, dropout not at all.
std::vector<Trial> trials(int n) {
  const SweepSpec s = space(n);
  auto sampler = makeSampler(s);
  std::vector<Trial> out;
  for (int i = 0; i < n; ++i) {
    Trial t;
    t.number = i;
    t.params = *sampler->propose(out);
    t.status = TrialStatus::Completed;
    const double lr = std::log10(t.params["optim.lr"].get<double>()) + 2.5;
    const double width = (t.params["model.width"].get<double>() - 36) / 28;
    const double momentum = t.params.contains("optim.momentum") ? t.params["optim.momentum"].get<double>() - 0.9 : 0.0;
    t.value = 0.3 * lr * lr + width * width + 2 * momentum * momentum;
    out.push_back(t);
  }
  return out;
}

double of(const std::vector<ParameterImportance>& all, const std::string& key) {
  for (const auto& p : all)
    if (p.key == key) return p.importance;
  return -1;
}

}  // namespace

class TestImportance : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void ranksTheParametersThatMatter() {
    const auto importance = parameterImportance(space(300).space, trials(300));
    QCOMPARE(importance.size(), size_t{5});
    double sum = 0;
    for (const auto& p : importance) sum += p.importance;
    QVERIFY(std::abs(sum - 1) < 1e-9);
    const double lr = of(importance, "optim.lr"), width = of(importance, "model.width"),
                 momentum = of(importance, "optim.momentum"), dropout = of(importance, "model.dropout");
    qInfo("lr %.3f momentum %.3f width %.3f dropout %.3f name %.3f", lr, momentum, width, dropout,
          of(importance, "optim.name"));
    // (the name matters too: with adamw the momentum term is absent, which is better on average)
    for (const auto& p : importance) QVERIFY(p.key == "optim.lr" || p.importance < lr);
    QVERIFY(lr > 0.3);
    QVERIFY(momentum > 0.05 && width > 0.05);
    QVERIFY(dropout < 0.03);
  }

  void needsAFewCompletedTrials() {
    auto few = trials(3);
    QVERIFY(parameterImportance(space(3).space, few).empty());
    for (auto& t : few) t.status = TrialStatus::Failed;
    QVERIFY(parameterImportance(space(3).space, few).empty());
  }

  void aThousandTrialsInUnderASecond() {
    const auto all = trials(1000);
    QElapsedTimer timer;
    timer.start();
    const auto importance = parameterImportance(space(1000).space, all);
    const qint64 ms = timer.elapsed();
    qInfo("importance of 5 parameters over 1000 trials: %lld ms", static_cast<long long>(ms));
    QVERIFY(!importance.empty());
    QVERIFY(ms < 1000);
  }
};

QTEST_GUILESS_MAIN(TestImportance)
#include "tst_importance.moc"

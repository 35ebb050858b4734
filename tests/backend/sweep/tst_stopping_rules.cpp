// Early-stopping decisions on hand-made histories: ASHA's rungs and its top-1/eta rule, the leader
// of a rung never stopped there, median stopping after its start-up trials, min_epochs.
#include "backend/protocol/yaml_json.h"
#include "backend/sweep/stopping_rule.h"

#include <QtTest>

using namespace reef;
using namespace reef::sweep;

namespace {

SweepSpec sweepWith(const std::string& early, const std::string& goal = "minimize") {
  const std::string text =
      "base: {model: {collection: vision, arch: cnn}}\nrun_cap: 9\nmetric: {name: val/loss, goal: " + goal +
      "}\nparameters: {optim.lr: {min: 0.001, max: 0.1}}\nearly_terminate: " + early + "\n";
  return parseSweep(protocol::parseYaml(text, "s.yaml"), "s.yaml", ".");
}

Trial trial(int number, std::map<int64_t, double> reports) {
  Trial t;
  t.number = number;
  t.status = TrialStatus::Running;
  t.reports = std::move(reports);
  return t;
}

}  // namespace

class TestStoppingRules : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void ashaRungsGrowByEta() {
    QCOMPARE(ashaRungs(100, 3, 2000), (std::vector<int64_t>{100, 300, 900}));
    QCOMPARE(ashaRungs(10, 2, 100), (std::vector<int64_t>{10, 20, 40, 80}));
    const auto unbounded = ashaRungs(5, 4, 0);  // no budget: rungs up to an astronomic step, never an overflow
    QVERIFY(unbounded.size() > 20 && unbounded.back() > 0 && unbounded.back() < int64_t{1} << 52);
  }

  void ashaKeepsTheTopThirdAtEachRung() {
    const SweepSpec s = sweepWith("{type: asha, eta: 3, min_steps: 100}");
    auto rule = makeStoppingRule(s);
    std::vector<Trial> trials;
    // Six trials reach rung 0 (step 100) with these losses, one after the other.
    const double losses[] = {0.50, 0.40, 0.60, 0.30, 0.45, 0.35};
    std::vector<bool> stopped;
    for (int i = 0; i < 6; ++i) {
      trials.push_back(trial(i, {{50, 1.0}, {100, losses[i]}}));
      stopped.push_back(rule->judge(trials, trials.size() - 1, 0).stop);
      QCOMPARE(trials.back().rungs.at(0), losses[i]);
    }
    // 1st: alone, leads. 2nd: 0.40 leads 2 (fewer than eta: only the leader goes on). 3rd: 0.60 of
    // 3 -> top 1 -> stop. 4th: 0.30 leads. 5th: 0.45 ranks 3 of 5 (keep 1) -> stop. 6th: 0.35 ranks
    // 2 of 6 (keep 2) -> continues.
    QCOMPARE(stopped, (std::vector<bool>{false, false, true, false, true, false}));
    // Judging again makes no second decision at the same rung.
    QVERIFY(!rule->judge(trials, 2, 0).stop);
  }

  void theLeaderOfARungIsNeverStoppedThere() {
    const SweepSpec s = sweepWith("{type: asha, eta: 2, min_steps: 10}", "maximize");
    auto rule = makeStoppingRule(s);
    std::vector<Trial> trials;
    for (int i = 0; i < 40; ++i) {
      // Values in an order that keeps changing who leads; the new trial leads every fifth time.
      const double v = i % 5 == 4 ? 100.0 + i : std::sin(i * 1.7);
      trials.push_back(trial(i, {{10, v}, {20, v}, {40, v}}));
      const StopDecision d = rule->judge(trials, trials.size() - 1, 0);
      if (i % 5 == 4) QVERIFY2(!d.stop, d.reason.c_str());
      if (d.stop) QVERIFY(d.reason.find("rung") != std::string::npos);
    }
  }

  void ashaWaitsForTheRungStepAndUsesMinEpochs() {
    const SweepSpec s = sweepWith("{type: asha, eta: 3, min_epochs: 2}");
    auto rule = makeStoppingRule(s);
    std::vector<Trial> trials{trial(0, {{100, 0.1}}), trial(1, {{100, 0.9}})};
    QVERIFY(!rule->judge(trials, 1, 0).stop);  // epoch size unknown: no decision
    QVERIFY(trials[1].rungs.empty());
    QVERIFY(!rule->judge(trials, 1, 60).stop);  // rung 0 is step 120: not reached yet
    trials[0].reports[120] = 0.1;
    rule->judge(trials, 0, 60);
    trials[1].reports[120] = 0.9;
    QVERIFY(rule->judge(trials, 1, 60).stop);  // 2nd of 2 at step 120
  }

  void nonFiniteValuesRankLast() {
    const SweepSpec s = sweepWith("{type: asha, eta: 3, min_steps: 10}");
    auto rule = makeStoppingRule(s);
    std::vector<Trial> trials{trial(0, {{10, NAN}})};
    QVERIFY(!rule->judge(trials, 0, 0).stop);  // alone
    trials.push_back(trial(1, {{10, 5.0}}));
    QVERIFY(!rule->judge(trials, 1, 0).stop);  // any number beats NaN
  }

  void medianStopsBelowTheMedianAfterStartup() {
    const SweepSpec s = sweepWith("{type: median, min_steps: 20, startup_trials: 3}");
    auto rule = makeStoppingRule(s);
    std::vector<Trial> trials{trial(0, {{10, 1.0}, {20, 0.5}, {30, 0.4}}), trial(1, {{10, 1.0}, {20, 0.6}, {30, 0.5}})};
    trials.push_back(trial(2, {{10, 0.9}, {20, 0.9}}));
    QVERIFY(!rule->judge(trials, 2, 0).stop);  // only 2 others have reached step 20
    trials.push_back(trial(3, {{10, 0.7}, {20, 0.55}, {30, 0.3}}));
    const StopDecision d = rule->judge(trials, 2, 0);  // others' best by 20: 0.5, 0.6, 0.55
    QVERIFY(d.stop);
    QVERIFY2(d.reason.find("0.55") != std::string::npos, d.reason.c_str());
    trials.push_back(trial(4, {{10, 0.9}, {20, 0.52}}));
    QVERIFY(!rule->judge(trials, 4, 0).stop);  // better than the median 0.55
    trials.push_back(trial(5, {{10, 0.2}}));
    QVERIFY(!rule->judge(trials, 5, 0).stop);  // before min_steps nothing is decided
  }
};

QTEST_GUILESS_MAIN(TestStoppingRules)
#include "tst_stopping_rules.moc"

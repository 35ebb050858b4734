// Samplers: reproducible (same seed and history, same proposal), never a configuration twice,
// conditional parameters present only where their condition holds, the distributions they
// promise, and a TPE that learns from its history.
#include "backend/protocol/yaml_json.h"
#include "backend/sweep/parzen_estimator.h"
#include "backend/sweep/random_sampler.h"
#include "backend/sweep/sampler.h"

#include <QElapsedTimer>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

using namespace reef;
using namespace reef::sweep;

namespace {

SweepSpec sweepOf(const std::string& method, const std::string& parameters, uint64_t seed = 1, int runCap = 50,
                  const std::string& extra = "") {
  const std::string text = "base: {model: {collection: vision, arch: cnn}}\nmethod: " + method +
                           "\nrun_cap: " + std::to_string(runCap) + "\nseed: " + std::to_string(seed) + "\n" + extra +
                           "parameters:\n" + parameters;
  return parseSweep(protocol::parseYaml(text, "s.yaml"), "s.yaml", ".");
}

const char* kMixed =
    "  optim.lr: {distribution: log_uniform, min: 1.0e-5, max: 1.0}\n"
    "  optim.name: {values: [sgd, adam, adamw]}\n"
    "  optim.momentum: {min: 0.0, max: 0.99, when: {optim.name: sgd}}\n"
    "  model.width: {distribution: int_uniform, min: 8, max: 64}\n";

using Objective1 = std::function<double(const Assignment&)>;

// Runs `n` trials of `sweep`, each completing with objective(params) (minimized).
std::vector<Trial> simulate(const SweepSpec& sweep, int n, const Objective1& objective) {
  auto sampler = makeSampler(sweep);
  std::vector<Trial> history;
  for (int i = 0; i < n; ++i) {
    auto p = sampler->propose(history);
    if (!p) break;
    Trial t;
    t.number = i;
    t.params = *p;
    t.status = TrialStatus::Completed;
    t.value = objective(*p);
    history.push_back(t);
  }
  return history;
}

double bestOf(const std::vector<Trial>& h) {
  double best = INFINITY;
  for (const auto& t : h) best = std::min(best, *t.value);
  return best;
}

// A bowl in log(lr) and width, with the optimizer's choice mattering.
double bowl(const Assignment& p) {
  const double x = std::log10(p["optim.lr"].get<double>()) + 2.5;
  const double w = (p["model.width"].get<double>() - 40) / 30;
  return x * x + w * w + (p["optim.name"] == "adamw" ? 0.0 : 0.3);
}

}  // namespace

class TestSamplers : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void sameSeedAndHistoryGiveTheSameProposal() {
    for (const char* method : {"random", "quasirandom", "tpe"}) {
      const auto a = simulate(sweepOf(method, kMixed, 7), 30, bowl);
      const auto b = simulate(sweepOf(method, kMixed, 7), 30, bowl);
      const auto c = simulate(sweepOf(method, kMixed, 8), 30, bowl);
      QCOMPARE(a.size(), size_t{30});
      bool sameAll = true, sameAny = false;
      for (size_t i = 0; i < a.size(); ++i) {
        sameAll = sameAll && a[i].params == b[i].params;
        sameAny = sameAny || a[i].params == c[i].params;
      }
      QVERIFY2(sameAll, method);
      QVERIFY2(!sameAny, method);  // another seed, other proposals
      // A sampler made afresh (a resumed sweep) proposes the same next trial.
      std::vector<Trial> prefix(a.begin(), a.begin() + 20);
      QCOMPARE(makeSampler(sweepOf(method, kMixed, 7))->propose(prefix)->dump(), a[20].params.dump());
    }
  }

  void conditionalParametersOnlyWhereTheirConditionHolds() {
    for (const char* method : {"random", "quasirandom", "tpe", "grid"}) {
      const std::string params =
          std::string(method) == "grid"
              ? "  optim.name: {values: [sgd, adam]}\n  optim.momentum: {values: [0.5, 0.9], when: {optim.name: sgd}}\n"
              : kMixed;
      const auto h = simulate(sweepOf(method, params), 40,
                              [](const Assignment& p) { return p.contains("optim.lr") ? bowl(p) : 0.0; });
      for (const auto& t : h) QCOMPARE(t.params.contains("optim.momentum"), t.params["optim.name"] == "sgd");
    }
  }

  void neverProposesAConfigurationTwice() {
    // 2 x 3 x 2 = 12 configurations; each sampler gives all 12, then says the space is exhausted.
    const char* small =
        "  optim.name: [sgd, adamw]\n  model.width: {values: [8, 16, 32]}\n  trainer.max_steps: [10, 20]\n";
    for (const char* method : {"grid", "random", "quasirandom", "tpe"}) {
      const auto h = simulate(sweepOf(method, small, 3, 30), 30,
                              [](const Assignment& p) { return p["model.width"].get<double>(); });
      std::set<std::string> seen;
      for (const auto& t : h) seen.insert(SearchSpace::canonical(t.params));
      QCOMPARE(h.size(), size_t{12});
      QCOMPARE(seen.size(), size_t{12});
    }
  }

  void randomDrawsFollowTheirScales() {
    const auto h = simulate(sweepOf("random", kMixed, 11, 2000), 2000, bowl);
    int belowGeoMean = 0, sgd = 0;
    std::map<long long, int> widths;
    for (const auto& t : h) {
      const double lr = t.params["optim.lr"].get<double>();
      QVERIFY(lr >= 1e-5 && lr <= 1.0);
      belowGeoMean += lr < std::sqrt(1e-5);  // 1e-5 .. 1e-2.5: the lower half of the log range
      sgd += t.params["optim.name"] == "sgd";
      ++widths[t.params["model.width"].get<long long>()];
    }
    QVERIFY2(std::abs(belowGeoMean / 2000.0 - 0.5) < 0.04, qPrintable(QString::number(belowGeoMean)));
    QVERIFY(std::abs(sgd / 2000.0 - 1.0 / 3) < 0.04);
    QCOMPARE(widths.size(), size_t{57});  // every integer of 8..64
  }

  void quasiRandomCoversMoreEvenlyThanRandom() {
    // Largest deviation from 8 points per cell over an 8x8 grid of (lr, width) for 512 points.
    auto deviation = [](const char* method) {
      const auto h = simulate(
          sweepOf(method, "  optim.lr: {min: 0.0, max: 1.0}\n  optim.momentum: {min: 0.0, max: 1.0}\n", 5, 512), 512,
          [](const Assignment&) { return 0.0; });
      int cells[8][8] = {};
      for (const auto& t : h)
        ++cells[std::min(7, int(t.params["optim.lr"].get<double>() * 8))]
               [std::min(7, int(t.params["optim.momentum"].get<double>() * 8))];
      int worst = 0;
      for (auto& row : cells)
        for (int c : row) worst = std::max(worst, std::abs(c - 8));
      return worst;
    };
    const int quasi = deviation("quasirandom"), random = deviation("random");
    QVERIFY2(quasi <= 2 && quasi < random, qPrintable(QString("quasi %1 random %2").arg(quasi).arg(random)));
    QCOMPARE(radicalInverse(6, 2), 0.375);  // 110b -> 0.011b
  }

  void tpeBeatsRandomSearchOnAStructuredObjective() {
    int tpeWins = 0;
    std::vector<double> tpe, random;
    for (uint64_t seed = 1; seed <= 10; ++seed) {
      tpe.push_back(bestOf(simulate(sweepOf("tpe", kMixed, seed), 60, bowl)));
      random.push_back(bestOf(simulate(sweepOf("random", kMixed, seed), 60, bowl)));
      tpeWins += tpe.back() < random.back();
    }
    std::sort(tpe.begin(), tpe.end());
    std::sort(random.begin(), random.end());
    qInfo("median best of 60 trials: tpe %.4f random %.4f; tpe better in %d of 10 seeds", tpe[5], random[5], tpeWins);
    QVERIFY(tpe[5] < random[5]);
    QVERIFY(tpeWins >= 7);
  }

  // Two good trials, (0.2, 0.8) and (0.8, 0.2): the joint model puts its mass on those pairs and
  // not on (0.2, 0.2), which the product of one-dimensional models rates as likely as either.
  void theJointModelKeepsSettingsThatWentTogether() {
    const std::vector<double> w{1, 1};
    const std::vector<ParzenEstimator> joint{ParzenEstimator::numeric({0.2, 0.8}, w, 0, 1, 0.1),
                                             ParzenEstimator::numeric({0.8, 0.2}, w, 0, 1, 0.1)};
    const std::vector<std::optional<double>> bins(2);
    const double seen = jointLogDensity(joint, {0.2, 0.8}, bins), crossed = jointLogDensity(joint, {0.2, 0.2}, bins);
    QVERIFY2(seen > crossed + 2, qPrintable(QString("%1 vs %2").arg(seen).arg(crossed)));
    const double productSeen = joint[0].logDensity(0.2) + joint[1].logDensity(0.8);
    const double productCrossed = joint[0].logDensity(0.2) + joint[1].logDensity(0.2);
    QVERIFY(std::abs(productSeen - productCrossed) < 1e-9);
    // A category and a number together: the kernels of one observation in both.
    const std::vector<ParzenEstimator> mixed{ParzenEstimator::categorical({0, 1}, w, 2),
                                             ParzenEstimator::numeric({0.1, 0.9}, w, 0, 1, 0.1)};
    QVERIFY(jointLogDensity(mixed, {0, 0.1}, bins) > jointLogDensity(mixed, {0, 0.9}, bins) + 0.5);  // ~log 3
    // Draws: one component, then its kernel in every dimension.
    Rng rng(5, 0, 0);
    int together = 0;
    for (int i = 0; i < 1000; ++i) {
      const size_t k = joint[0].pickComponent(rng);
      const double a = joint[0].sampleKernel(k, rng), b = joint[1].sampleKernel(k, rng);
      together += (a < 0.5) != (b < 0.5);
    }
    // 2/3 from the trials (always on opposite sides), 1/3 from the prior (half the time): 833.
    QVERIFY2(together > 780, qPrintable(QString::number(together)));
  }

  void parzenKernelsAreClippedAndNormalised() {
    const ParzenEstimator p = ParzenEstimator::numeric({0.1, 0.1001, 0.9}, {1, 1, 1}, 0, 1);
    for (double s : p.sigmas()) QVERIFY(s >= 1.0 / 7 - 1e-12 && s <= 1.0);  // range / min(100, 3 + 4)
    double mass = 0;                                                        // integrates to 1 over [0, 1]
    for (int i = 0; i < 10000; ++i) mass += std::exp(p.logDensity((i + 0.5) / 10000)) / 10000;
    QVERIFY2(std::abs(mass - 1) < 1e-3, qPrintable(QString::number(mass)));
    const auto w = recencyWeights(30);
    QCOMPARE(w.back(), 1.0);
    QVERIFY(w.front() < w[2] && w[2] < 1.0);
  }

  void tpeProposesFastAtAThousandTrials() {
    auto history = simulate(sweepOf("random", kMixed, 2, 1000), 1000, bowl);
    auto tpe = makeSampler(sweepOf("tpe", kMixed, 2, 1001));
    QElapsedTimer timer;
    timer.start();
    QVERIFY(tpe->propose(history).has_value());
    const qint64 ms = timer.elapsed();
    qInfo("TPE proposal at 1000 finished trials: %lld ms", static_cast<long long>(ms));
    QVERIFY(ms < 250);
  }
};

QTEST_GUILESS_MAIN(TestSamplers)
#include "tst_samplers.moc"

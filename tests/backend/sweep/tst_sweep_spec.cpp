// The sweep file: parsing (every problem named by its key), validation against the catalog before
// anything starts, grids with conditional parameters, and the round trip through the sweep folder.
#include "backend/protocol/spec.h"
#include "backend/protocol/yaml_json.h"
#include "backend/sweep/sweep_spec.h"

#include <QtTest>

using namespace reef;
using namespace reef::protocol;
using namespace reef::sweep;

namespace {

Catalog testCatalog() {
  Catalog c;
  c.engineVersion = "test";
  c.sections = {{"trainer", {intParam("max_steps", -1, -1, 1e9, "steps"), intParam("val_interval", 0, 0, 1e9, "v")}},
                {"optim",
                 {choiceParam("name", "adamw", {"sgd", "adam", "adamw"}, "o"),
                  floatParam("lr", 1e-3, 0, 10, "lr", true), floatParam("momentum", 0.9, 0, 0.9999, "m")}},
                {"exp", {stringParam("name", "", "label"), intParam("seed", 1, 0, 100, "seed")}}};
  CollectionInfo vision{"vision", "images", {intParam("batch_size", 64, 1, 4096, "b")}, {}};
  vision.models.push_back(
      {"cnn", "cnn", {intParam("width", 32, 4, 512, "w"), floatParam("dropout", 0.25, 0, 0.9, "d")}, {}});
  vision.models.push_back({"vit", "vit", {intParam("dim", 64, 8, 4096, "d")}, {}});
  c.collections.push_back(vision);
  return c;
}

const char* kBase = "base: {model: {collection: vision, arch: cnn}, trainer: {max_steps: 900}}\n";

SweepSpec parse(const std::string& body) { return parseSweep(parseYaml(kBase + body, "s.yaml"), "s.yaml", "."); }

QStringList keysOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const SpecError& e) {
    QStringList keys;
    for (const auto& i : e.issues()) keys << QString::fromStdString(i.key);
    return keys;
  }
  return {};
}

}  // namespace

class TestSweepSpec : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void parsesEveryDistribution() {
    const SweepSpec s = parse(
        "method: tpe\nmetric: {name: val/acc, goal: maximize}\nrun_cap: 20\nseed: 4\n"
        "parameters:\n"
        "  optim.lr: {distribution: log_uniform, min: 1.0e-4, max: 0.1}\n"
        "  model.width: {distribution: int_uniform, min: 8, max: 64, q: 8}\n"
        "  model.dropout: {min: 0.0, max: 0.5}\n"
        "  optim.name: {values: [sgd, adamw]}\n"
        "  optim.momentum: {min: 0.5, max: 0.99, when: {optim.name: sgd}}\n"
        "early_terminate: {type: asha, eta: 3, min_steps: 100}\n");
    QCOMPARE(s.method, Method::Tpe);
    QVERIFY(s.metric.maximize);
    QCOMPARE(s.runCap, 20);
    QCOMPARE(s.seed, uint64_t{4});
    QCOMPARE(s.space.find("optim.lr")->distribution, Distribution::LogUniform);
    QCOMPARE(s.space.find("model.width")->distribution, Distribution::IntUniform);
    QCOMPARE(*s.space.find("model.width")->q, 8.0);
    QCOMPARE(s.space.find("model.dropout")->distribution, Distribution::Uniform);
    QCOMPARE(s.space.find("optim.momentum")->when.at(0).key, std::string("optim.name"));
    QCOMPARE(s.early.type, EarlyTerminate::Type::Asha);
    QCOMPARE(s.early.minSteps, int64_t{100});
    validateSweep(s, testCatalog());  // all valid
  }

  void malformedFilesNameEveryKey() {
    const QStringList keys = keysOf([] {
      parse(
          "method: bayesian\nrun_cap: 0\ncolour: red\nparameters:\n"
          "  optim.lr: {distribution: log_uniform, min: 0, max: 0.1}\n"
          "  model.width: {min: 64, max: 8}\n"
          "  model.dropout: {distribution: gaussian, min: 0, max: 1}\n"
          "  optim.name: {values: sgd}\n"
          "  exp.seed: {min: 1}\n"
          "early_terminate: {type: asha, eta: 1}\n"
          "tpe: {startup_trials: 0, multivariate: 3, bandwidth: 2}\n");
    });
    for (const char* key :
         {"method", "run_cap", "colour", "parameters.optim.lr.min", "parameters.model.width",
          "parameters.model.dropout.distribution", "parameters.optim.name.values", "parameters.exp.seed",
          "early_terminate.eta", "early_terminate", "tpe.startup_trials", "tpe.multivariate", "tpe.bandwidth"})
      QVERIFY2(keys.contains(key), qPrintable(key + QString(" missing from ") + keys.join(", ")));
  }

  void conditionsMustNameParametersAndNotCycle() {
    QVERIFY(keysOf([] {
              parse("run_cap: 2\nparameters:\n  optim.momentum: {min: 0.1, max: 0.9, when: {optim.name: sgd}}\n");
            }).contains("parameters"));
    QVERIFY(keysOf([] {
              parse(
                  "run_cap: 2\nparameters:\n  optim.lr: {values: [0.1], when: {optim.name: sgd}}\n"
                  "  optim.name: {values: [sgd], when: {optim.lr: 0.1}}\n");
            }).contains("parameters"));
  }

  void validationNamesKeysAndRangesOutsideTheCatalog() {
    const SweepSpec s = parse(
        "run_cap: 5\nparameters:\n"
        "  optim.lr: {min: 0.001, max: 20}\n"    // above lr's 10
        "  optim.colour: {values: [red]}\n"      // no such key
        "  model.width: {min: 0.5, max: 8.5}\n"  // an integer key with a float range
        "  optim.name: {values: [sgd, lamb]}\n"  // lamb is not a choice
        "  exp.name: {values: [a, b]}\n"         // set by the sweep itself
        "  optim.momentum: {min: 0.1, max: 0.5, when: {optim.name: nadam}}\n");
    QStringList keys;
    try {
      validateSweep(s, testCatalog());
      QFAIL("validation passed");
    } catch (const SpecError& e) {
      for (const auto& i : e.issues()) keys << QString::fromStdString(i.key);
      QVERIFY2(QString(e.what()).contains("optim.colour") && QString(e.what()).contains("lr"), e.what());
    }
    for (const char* key : {"parameters.optim.lr.max", "parameters.optim.colour", "parameters.model.width",
                            "parameters.optim.name", "parameters.exp.name", "parameters.optim.momentum.when"})
      QVERIFY2(keys.contains(key), qPrintable(key + QString(" missing from ") + keys.join(", ")));
  }

  void baseProblemsAreNamedUnderBase() {
    const SweepSpec s = parseSweep(parseYaml("base: {model: {collection: vision, arch: cnn, depth: 3}}\nrun_cap: 2\n"
                                             "parameters: {optim.lr: {values: [0.1, 0.01]}}\n",
                                             "s.yaml"),
                                   "s.yaml", ".");
    QStringList keys;
    try {
      validateSweep(s, testCatalog());
    } catch (const SpecError& e) {
      for (const auto& i : e.issues()) keys << QString::fromStdString(i.key);
    }
    QVERIFY2(keys.contains("base.model.depth"), qPrintable(keys.join(", ")));
  }

  void gridCountsOnlyActiveCombinations() {
    const SweepSpec s = parse(
        "method: grid\nparameters:\n  optim.name: {values: [sgd, adam, adamw]}\n"
        "  optim.momentum: {values: [0.5, 0.9], when: {optim.name: sgd}}\n"
        "  model.width: {distribution: int_uniform, min: 16, max: 48, q: 16}\n");
    // sgd x 2 momenta x 3 widths + (adam, adamw) x 3 widths
    QCOMPARE(s.runCap, 12);
    const auto grid = s.space.grid();
    QCOMPARE(grid.size(), size_t{12});
    int withMomentum = 0;
    for (const auto& g : grid) withMomentum += g.contains("optim.momentum");
    QCOMPARE(withMomentum, 6);
    QVERIFY(keysOf([] {
              parse("method: grid\nparameters: {optim.lr: {min: 0.001, max: 0.1}}\n");
            }).contains("parameters.optim.lr"));
    // Found by fuzzing: a step of -.inf enumerated a grid forever. Bounds and steps must be finite,
    // and a step below the bounds' precision ends too.
    const QStringList infinite =
        keysOf([] { parse("method: grid\nparameters: {optim.lr: {min: 0.001, max: .inf, q: -.inf}}\n"); });
    QVERIFY2(infinite.contains("parameters.optim.lr.max") && infinite.contains("parameters.optim.lr.q"),
             qPrintable(infinite.join(", ")));
    const SweepSpec fine = parse("method: grid\nparameters: {exp.seed: {min: 1e17, max: 100000000000000016, q: 2}}\n");
    QVERIFY(!fine.space.grid().empty());  // (x += 2 never moved 1e17)
    QVERIFY(keysOf([] {
              parse("parameters: {optim.lr: [0.1]}\nearly_terminate: {type: asha, min_steps: 9, max_steps: 1e309}\n");
            }).contains("early_terminate.max_steps"));
  }

  void roundTripsThroughJsonAndAppliesTrialSettings() {
    const SweepSpec s = parse(
        "name: lr\nmethod: random\nrun_cap: 3\nparameters:\n  optim.lr: {distribution: log_uniform, min: 1.0e-4, max: "
        "0.1}\n"
        "  optim.name: [sgd, adamw]\nearly_terminate: {type: median, min_steps: 50}\n");
    const SweepSpec back = SweepSpec::fromJson(s.toJson(), "state.json");
    QCOMPARE(back.toJson().dump(), s.toJson().dump());
    const Json spec = s.trialSpec({{"optim.lr", 0.01}, {"optim.name", "sgd"}});
    QCOMPARE(spec["optim"]["lr"].get<double>(), 0.01);
    QCOMPARE(spec["model"]["arch"].get<std::string>(), std::string("cnn"));
    resolveSpec(spec, testCatalog(), "trial");
  }

  void valuesMapFromTheUnitIntervalOnTheirScale() {
    Dimension d;
    d.distribution = Distribution::LogUniform;
    d.min = 1e-4;
    d.max = 1e-1;
    QCOMPARE(d.fromUnit(0.0).get<double>(), 1e-4);
    QVERIFY(std::abs(d.fromUnit(0.5).get<double>() - std::sqrt(1e-4 * 1e-1)) < 1e-9);
    QVERIFY(std::abs(d.toUnit(Json(0.01)) - 2.0 / 3.0) < 1e-9);
    Dimension w;
    w.distribution = Distribution::IntUniform;
    w.min = 1;
    w.max = 4;
    std::map<long long, int> counts;
    for (int i = 0; i < 400; ++i) ++counts[w.fromUnit((i + 0.5) / 400).get<long long>()];
    QCOMPARE(counts, (std::map<long long, int>{{1, 100}, {2, 100}, {3, 100}, {4, 100}}));
  }
};

QTEST_GUILESS_MAIN(TestSweepSpec)
#include "tst_sweep_spec.moc"

// Spec resolution: defaults, validation messages that name the key and the allowed values,
// overrides, YAML typing and round trips.
#include "backend/protocol/spec.h"
#include "backend/protocol/yaml_json.h"

#include <QtTest>

using namespace reef;
using namespace reef::protocol;

namespace {

Catalog testCatalog() {
  Catalog c;
  c.engineVersion = "test";
  c.sections = {{"trainer",
                 {withSpecial(intParam("max_steps", -1, -1, 1e9, "steps"), "unset"),
                  advanced(choiceParam("precision", "fp32", {"fp32", "bf16-mixed"}, "p"))}},
                {"optim", {floatParam("lr", 1e-3, 0, 10, "lr", true), boolParam("nesterov", false, "n")}},
                {"exp", {stringParam("name", "", "label"), intParam("seed", 1, 0, 100, "seed")}}};
  CollectionInfo vision{
      "vision",
      "images",
      {intParam("batch_size", 64, 1, 4096, "b"), choiceParam("dataset", "mnist", {"mnist", "fashion_mnist"}, "d")},
      {}};
  vision.models.push_back(
      {"cnn", "small cnn", {intParam("width", 32, 4, 512, "w"), floatParam("dropout", 0.25, 0, 0.9, "d")}});
  vision.models.push_back({"vit",
                           "vit",
                           {intParam("dim", 64, 8, 4096, "d"), oddOnly(intParam("kernel", 3, 1, 31, "k")),
                            withSpecial(oddOnly(intParam("context", 0, 0, 31, "c")), "none")}});
  c.collections.push_back(vision);
  return c;
}

QStringList issueKeys(const SpecError& e) {
  QStringList keys;
  for (const auto& i : e.issues()) keys << QString::fromStdString(i.key);
  return keys;
}

}  // namespace

class TestSpec : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void fillsDefaultsInSchemaOrder() {
    Json raw = parseYaml("model: {collection: vision, arch: cnn, dropout: 0.5}\noptim: {lr: 0.01}\n", "t.yaml");
    Json spec = resolveSpec(raw, testCatalog(), "t.yaml");
    QCOMPARE(spec["model"]["width"].get<int>(), 32);
    QCOMPARE(spec["model"]["dropout"].get<double>(), 0.5);
    QCOMPARE(spec["data"]["dataset"].get<std::string>(), std::string("mnist"));
    QCOMPARE(spec["optim"]["lr"].get<double>(), 0.01);
    QCOMPARE(spec["trainer"]["precision"].get<std::string>(), std::string("fp32"));
    std::vector<std::string> order;
    for (const auto& [k, v] : spec.items()) order.push_back(k);
    QCOMPARE(order, (std::vector<std::string>{"model", "data", "trainer", "optim", "exp"}));
  }

  void intAcceptsIntegralFloatAndFloatAcceptsInt() {
    Json raw = parseYaml("model: {collection: vision, arch: cnn, width: 64.0}\noptim: {lr: 1}\n", "t.yaml");
    Json spec = resolveSpec(raw, testCatalog(), "t.yaml");
    QVERIFY(spec["model"]["width"].is_number_integer());
    QVERIFY(spec["optim"]["lr"].is_number_float());
  }

  void reportsEveryProblemWithKeyAndAllowedValues() {
    Json raw = parseYaml(
        "model: {collection: vision, arch: cnn, widht: 3, dropout: 2}\n"
        "optim: {lr: 0}\ntrainer: {precision: fp16}\nexp: {seed: \"x\"}\nextra: 1\n",
        "bad.yaml");
    try {
      resolveSpec(raw, testCatalog(), "bad.yaml");
      QFAIL("expected a SpecError");
    } catch (const SpecError& e) {
      const QStringList keys = issueKeys(e);
      QVERIFY2(keys.contains("model.widht"), qPrintable(keys.join(",")));
      QVERIFY(keys.contains("model.dropout"));
      QVERIFY(keys.contains("optim.lr"));
      QVERIFY(keys.contains("trainer.precision"));
      QVERIFY(keys.contains("exp.seed"));
      QVERIFY(keys.contains("extra"));
      const QString text = QString::fromUtf8(e.what());
      QVERIFY2(text.contains("did you mean 'width'"), qPrintable(text));
      QVERIFY2(text.contains("a number from 0 to 0.9"), qPrintable(text));
      QVERIFY2(text.contains("greater than 0"), qPrintable(text));
      QVERIFY2(text.contains("one of fp32, bf16-mixed"), qPrintable(text));
      QVERIFY2(text.startsWith("bad.yaml: 6 problems"), qPrintable(text));
    }
  }

  // A centred kernel: even widths are refused naming the rule; a special minimum (0: none) is not
  // held to it.
  void oddIntegersRefuseEvenOnes() {
    const Json ok = resolveSpec(parseYaml("model: {collection: vision, arch: vit, kernel: 5, context: 0}\n", "t.yaml"),
                                testCatalog(), "t.yaml");
    QCOMPARE(ok["model"]["kernel"].get<int>(), 5);
    QCOMPARE(ok["model"]["context"].get<int>(), 0);
    try {
      resolveSpec(parseYaml("model: {collection: vision, arch: vit, kernel: 4, context: 2}\n", "odd.yaml"),
                  testCatalog(), "odd.yaml");
      QFAIL("expected a SpecError");
    } catch (const SpecError& e) {
      QCOMPARE(issueKeys(e), (QStringList{"model.kernel", "model.context"}));
      const QString text = QString::fromUtf8(e.what());
      QVERIFY2(text.contains("an odd integer from 1 to 31"), qPrintable(text));
      QVERIFY2(text.contains("an odd integer from 0 to 31 (or 0: none)"), qPrintable(text));
    }
  }

  void unknownCollectionAndArchAreNamed() {
    try {
      resolveSpec(parseYaml("model: {collection: audio, arch: cnn}", "a"), testCatalog(), "a");
      QFAIL("expected a SpecError");
    } catch (const SpecError& e) {
      QVERIFY(QString::fromUtf8(e.what()).contains("expected one of vision"));
    }
    try {
      resolveSpec(parseYaml("model: {collection: vision, arch: mlp}", "a"), testCatalog(), "a");
      QFAIL("expected a SpecError");
    } catch (const SpecError& e) {
      QCOMPARE(issueKeys(e), QStringList{"model.arch"});
      QVERIFY(QString::fromUtf8(e.what()).contains("expected one of cnn, vit"));
    }
    try {
      resolveSpec(parseYaml("data: {batch_size: 8}", "a"), testCatalog(), "a");
      QFAIL("expected a SpecError");
    } catch (const SpecError& e) {
      QVERIFY(issueKeys(e).contains("model.collection"));
    }
  }

  void overridesAreTypedAsYaml() {
    Json raw = parseYaml("model: {collection: vision, arch: cnn}", "t");
    applyOverride(raw, "optim.lr=3e-4");
    applyOverride(raw, "optim.nesterov=true");
    applyOverride(raw, "exp.name=run one");
    applyOverride(raw, "exp.seed=7");
    Json spec = resolveSpec(raw, testCatalog(), "t");
    QCOMPARE(spec["optim"]["lr"].get<double>(), 3e-4);
    QCOMPARE(spec["optim"]["nesterov"].get<bool>(), true);
    QCOMPARE(spec["exp"]["name"].get<std::string>(), std::string("run one"));
    QCOMPARE(spec["exp"]["seed"].get<int>(), 7);
    QVERIFY_THROWS_EXCEPTION(SpecError, applyOverride(raw, "optim.lr"));
    QVERIFY_THROWS_EXCEPTION(SpecError, applyOverride(raw, "lr=1"));
    QVERIFY_THROWS_EXCEPTION(SpecError, applyOverride(raw, "optim..lr=1"));
  }

  void yamlScalarsAreTypedTheCoreWay() {
    QVERIFY(parseYamlScalar("42").is_number_integer());
    QVERIFY(parseYamlScalar("-1.5e-3").is_number_float());
    QVERIFY(parseYamlScalar("true").is_boolean());
    QVERIFY(parseYamlScalar("~").is_null());
    QVERIFY(parseYamlScalar("yes").is_string());            // YAML 1.2: not a bool
    QVERIFY(parseYaml("a: \"42\"", "t")["a"].is_string());  // quoted stays a string
  }

  void malformedYamlNamesLine() {
    try {
      parseYaml("model:\n  arch: cnn\n  width: [1, 2\n", "broken.yaml");
      QFAIL("expected an error");
    } catch (const std::runtime_error& e) {
      QVERIFY2(QString::fromUtf8(e.what()).startsWith("broken.yaml:"), e.what());
    }
    try {
      parseYaml("optim:\n  lr: 1\n  lr: 2\n", "dup.yaml");
      QFAIL("expected an error");
    } catch (const std::runtime_error& e) {
      QVERIFY2(
          QString::fromUtf8(e.what()).contains("dup.yaml:3:") && QString::fromUtf8(e.what()).contains("appears twice"),
          e.what());
    }
  }

  void resolvedSpecRoundTripsThroughYaml() {
    Json raw = parseYaml("model: {collection: vision, arch: cnn}\noptim: {lr: 1.0e-8}\nexp: {name: \"123\"}", "t");
    Json spec = resolveSpec(raw, testCatalog(), "t");
    const std::string yaml = toYaml(spec);
    QVERIFY2(yaml.find("lr: 1.0e-08") != std::string::npos, yaml.c_str());  // readable by YAML 1.1 too
    Json again = resolveSpec(parseYaml(yaml, "again"), testCatalog(), "again");
    QCOMPARE(again.dump(), spec.dump());
    QCOMPARE(specHash(again), specHash(spec));
    again["optim"]["lr"] = 0.5;
    QVERIFY(specHash(again) != specHash(spec));
  }

  // Found by fuzzing: text that is not UTF-8 reached JSON, whose dump() then threw.
  void textThatIsNotUtf8IsRefusedWithItsPlace() {
    for (const auto& [text, where] : std::vector<std::pair<std::string, QString>>{
             {"model:\n  name: caf\xe9\n", "t.yaml:2:12: not UTF-8 text (byte 0xE9)"},
             {std::string("  wa)m+\0_s: 1\n", 13), "t.yaml:1:3: this key is not UTF-8 text"}}) {  // yaml-cpp's NUL
      try {
        parseYaml(text, "t.yaml");
        QFAIL(qPrintable("accepted: " + QString::fromStdString(text)));
      } catch (const std::runtime_error& e) {
        QVERIFY2(QString(e.what()).contains(where), e.what());
      }
    }
    Json raw = Json::object();
    QVERIFY_EXCEPTION_THROWN(applyOverride(raw, "optim.l\xffr=1"), SpecError);
    QCOMPARE(parseYaml("k: " + std::string(100000, '7') + "e-99999\n", "t")["k"].get<double>(), 70.0 / 9);
  }

  // Found by fuzzing: yaml-cpp writes a key or value starting with "..." or "---" plain, which
  // reads back as the end or start of a document, and a lone "\r" plain, which reads back as null.
  void textLikeDocumentMarkersRoundTrips() {
    const Json doc = {{"... verval", "--- 130"},
                      {"k", "...x"},
                      {"n", "1e5"},
                      {"b", "true"},
                      {"cr", "\r"},
                      {"edges", " x\t"},
                      {std::string(2000, 'k'), 1},
                      {std::string(300, '\x05'), 2}};  // keys past YAML's 1024 characters (escaped: 1,200)
    QCOMPARE(parseYaml(toYaml(doc), "t").dump(), doc.dump());
  }

  void missingFileIsNamed() {
    try {
      loadSpecFile("/nonexistent/spec.yaml");
      QFAIL("expected an error");
    } catch (const std::runtime_error& e) {
      QVERIFY(QString::fromUtf8(e.what()).contains("/nonexistent/spec.yaml"));
    }
  }

  void catalogRoundTripsThroughJson() {
    const Catalog c = testCatalog();
    const Catalog back = Catalog::fromJson(c.toJson());
    QCOMPARE(back.toJson().dump(), c.toJson().dump());
    QVERIFY(back.model("vision", "vit"));
    QCOMPARE(back.model("vision", "cnn")->params[1].max.value(), 0.9);
    QCOMPARE(back.sections.at(0).second.at(0).special, std::string("unset"));
    QVERIFY(back.sections.at(0).second.at(1).advanced && !back.sections.at(0).second.at(0).advanced);
    QVERIFY(back.model("vision", "vit")->params[1].odd && !back.model("vision", "vit")->params[0].odd);
  }
};

QTEST_APPLESS_MAIN(TestSpec)
#include "tst_spec.moc"

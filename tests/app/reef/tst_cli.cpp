// The reef command line as a user meets it: version, catalog, spec errors with their keys,
// missing data, train then eval, and non-zero exits with a message on every error.
#include "tests/support/reef_cli.h"

#include <QTemporaryDir>
#include <QtTest>

#include <fstream>
#include <iterator>

using namespace reef;
using namespace reef::test;
namespace fs = std::filesystem;

class TestCli : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  fs::path dir() const { return dir_.path().toStdString(); }

  fs::path writeSpec(const char* name, const std::string& text) {
    const fs::path p = dir() / name;
    std::ofstream(p) << text;
    return p;
  }

 private Q_SLOTS:
  // No path a user gives is read by a shell: quotes, `$(...)`, `;` and spaces stay parts of the
  // names (once, the helper ran through std::system with the paths in single quotes).
  void tokenizerTrainingTakesAnyPathLiterally() {
    const fs::path hostile = fs::path(dir_.path().toStdString()) / "it's $(touch pwned); `touch pwned2` x";
    fs::create_directories(hostile);
    std::ofstream text(hostile / "in put's.txt");
    for (int i = 0; i < 400; ++i) text << "In the beginning was the word " << i << ", and the word was with God.\n";
    text.close();
    const fs::path model = hostile / "tok $(id).model";
    const ReefRun r =
        runReef({"tokenizer", "train", "--input", QString::fromStdString((hostile / "in put's.txt").string()),
                 "--vocab-size", "300", "--out", QString::fromStdString(model.string())});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    QVERIFY(fs::exists(model));
    QVERIFY(!fs::exists("pwned") && !fs::exists("pwned2") && !fs::exists(hostile / "pwned"));
    const ReefRun comma =
        runReef({"tokenizer", "train", "--input", QString::fromStdString((hostile / "in put's.txt").string()) + ",x",
                 "--vocab-size", "300", "--out", QString::fromStdString(model.string())});
    QCOMPARE(comma.exitCode, 1);
  }

  void versionAndHelp() {
    auto v = runReef({"--version"});
    QCOMPARE(v.exitCode, 0);
    QVERIFY2(v.out.startsWith("reef 0."), qPrintable(v.out));
    auto h = runReef({"train", "--help"});
    QCOMPARE(h.exitCode, 0);
    QVERIFY(h.out.contains("--run-dir") && h.out.contains("--set"));
    auto none = runReef({});
    QCOMPARE(none.exitCode, 2);
  }

  // OpenBLAS prints the kernels it loaded with OPENBLAS_VERBOSE=2. Where it fell back to the
  // generic "Prescott" kernels on a CPU with AVX2, reef restarts itself with better ones; a core
  // the user chose is kept as it is.
  void reefRestartsOnBetterBlasKernelsWhereItComputes() {
    // The cores OpenBLAS loaded (OPENBLAS_VERBOSE=2 prints one line per load) while reef ran `args`.
    const auto coresLoaded = [](const QStringList& args, const QString& coreType) {
      QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
      env.insert("OPENBLAS_VERBOSE", "2");
      env.remove("OPENBLAS_CORETYPE");
      if (!coreType.isEmpty()) env.insert("OPENBLAS_CORETYPE", coreType);
      const ReefRun r = runReef(args, 60000, env);
      QStringList cores;
      for (const QString& line : (r.out + r.err).split('\n'))
        if (line.contains("Core: ")) cores << line.mid(line.indexOf("Core: ") + 6).trimmed();
      return std::make_pair(r.exitCode, cores);
    };
    // A training command whose spec is missing: it fails (exit 1) after choosing its kernels.
    const QStringList train = {"train", QDir::temp().filePath("reef-no-such-spec.yaml")};
    const auto [code, cores] = coresLoaded(train, "");
    QCOMPARE(code, 1);
    if (cores.isEmpty()) QSKIP("the BLAS is not OpenBLAS: nothing to choose");
    std::ifstream cpuinfo("/proc/cpuinfo");
    const std::string flags((std::istreambuf_iterator<char>(cpuinfo)), std::istreambuf_iterator<char>());
    if (cores.first() == "Prescott" && flags.find(" avx2") != std::string::npos) {
      QCOMPARE(cores.size(), 2);
      QVERIFY2(cores.last() == "SkylakeX" || cores.last() == "Haswell", qPrintable(cores.join(", ")));
    } else {
      QCOMPARE(cores.size(), 1);
    }
    const auto [chosenCode, chosen] = coresLoaded(train, "Haswell");
    QCOMPARE(chosenCode, 1);
    QCOMPARE(chosen, QStringList{"Haswell"});
    // Commands that only list or track runs start once.
    const auto [versionCode, versionCores] = coresLoaded({"--version"}, "");
    QCOMPARE(versionCode, 0);
    QCOMPARE(versionCores.size(), 1);
  }

  void catalogJsonListsVisionModelsWithFullSchemas() {
    auto r = runReef({"catalog", "--json"});
    QCOMPARE(r.exitCode, 0);
    Json catalog = Json::parse(r.out.toStdString());
    QCOMPARE(catalog["format"].get<std::string>(), std::string("reef-catalog"));
    for (const char* section : {"trainer", "optim", "exp"}) QVERIFY(catalog["sections"].contains(section));
    const Json& vision = catalog["collections"][0];
    QCOMPARE(vision["name"].get<std::string>(), std::string("vision"));
    std::vector<std::string> archs;
    for (const auto& m : vision["models"]) {
      archs.push_back(m["arch"].get<std::string>());
      QVERIFY(!m["params"].empty());
      for (const auto& p : m["params"]) {
        QVERIFY(p.contains("type") && p.contains("default") && p.contains("description"));
        if (p["type"] == "int" || p["type"] == "float") QVERIFY(p.contains("min") && p.contains("max"));
      }
    }
    QCOMPARE(archs, (std::vector<std::string>{"cnn", "resnet", "vit"}));
    bool hasDatasetChoices = false;
    for (const auto& p : vision["data"])
      if (p["key"] == "dataset") hasDatasetChoices = p["choices"].size() == 2;
    QVERIFY(hasDatasetChoices);
  }

  void invalidSpecNamesEveryBadKey() {
    const auto spec = writeSpec("bad.yaml",
                                "model: {collection: vision, arch: cnn}\n"
                                "trainer: {max_step: 10}\noptim: {lr: -1, name: lion}\n");
    auto r = runReef({"train", QString::fromStdString(spec.string()), "--workspace", dir_.path()});
    QCOMPARE(r.exitCode, 2);
    QVERIFY2(r.err.contains("trainer.max_step") && r.err.contains("did you mean 'max_steps'"), qPrintable(r.err));
    QVERIFY(r.err.contains("optim.lr") && r.err.contains("optim.name") && r.err.contains("one of sgd, adam, adamw"));
    QVERIFY2(!fs::exists(dir() / "runs"), "no run directory for a spec that does not validate");
  }

  void badOverridesAndFiles() {
    auto r = runReef({"train", example("vision/mnist_cnn.yaml"), "--set", "optim.lr"});
    QCOMPARE(r.exitCode, 2);
    QVERIFY(r.err.contains("section.key=value"));
    auto missing = runReef({"train", "/nonexistent/spec.yaml"});
    QCOMPARE(missing.exitCode, 1);
    QVERIFY(missing.err.contains("/nonexistent/spec.yaml"));
    auto broken = runReef({"train", QString::fromStdString(writeSpec("broken.yaml", "model: [\n").string())});
    QVERIFY(broken.exitCode != 0);
    QVERIFY2(broken.err.contains("broken.yaml:"), qPrintable(broken.err));
  }

  void missingDatasetFailsTheRunWithAFix() {
    const fs::path run = dir() / "nodata";
    auto r = runReef({"train", example("vision/mnist_cnn.yaml"), "--run-dir", QString::fromStdString(run.string()),
                      "--set", "data.root=/nonexistent-reef-data"});
    QCOMPARE(r.exitCode, 1);
    QVERIFY2(r.err.contains("scripts/prepare-data.sh"), qPrintable(r.err));
    auto finished = eventsOfType(run, "run_finished");
    QCOMPARE(finished.size(), size_t(1));
    QCOMPARE(finished[0]["status"].get<std::string>(), std::string("failed"));
    QVERIFY(finished[0]["error"].get<std::string>().find("prepare-data.sh") != std::string::npos);
  }

  void trainThenEvaluate() {
    const fs::path run = dir() / "short";
    // --set may come before the spec: each takes exactly one value.
    auto r = runReef({"train", "--set", "trainer.max_steps=40", example("vision/mnist_cnn.yaml"), "--run-dir",
                      QString::fromStdString(run.string()), "--set", "trainer.limit_val_batches=2", "--set",
                      "trainer.test_at_end=false"});
    QVERIFY2(r.exitCode == 0, qPrintable(r.err));
    auto eval = runReef({"eval", QString::fromStdString(run.string()), "--json"});
    QVERIFY2(eval.exitCode == 0, qPrintable(eval.err));
    Json result = Json::parse(eval.out.toStdString());
    QCOMPARE(result["checkpoint"].get<int>(), 40);
    QVERIFY(result["metrics"]["test/acc"].get<double>() > 0.5);
    QVERIFY(fs::exists(result["artifacts"][0]["path"].get<std::string>()));
    auto byCheckpoint =
        runReef({"eval", QString::fromStdString((run / "checkpoints" / "step-40").string()), "--split", "val"});
    QVERIFY2(byCheckpoint.exitCode == 0, qPrintable(byCheckpoint.err));
    QVERIFY(byCheckpoint.out.contains("val/acc"));
    auto notARun = runReef({"eval", dir_.path()});
    QCOMPARE(notARun.exitCode, 1);
    QVERIFY(notARun.err.contains("neither a run directory nor a checkpoint"));
  }

  void resumeNeverRefusesARunWithCheckpoints() {
    const fs::path run = dir() / "never";
    const QStringList common = {
        "--run-dir", QString::fromStdString(run.string()), "--set", "trainer.max_steps=5",
        "--set",     "trainer.test_at_end=false",          "--set", "trainer.limit_val_batches=1"};
    QCOMPARE(runReef(QStringList{"train", example("vision/mnist_cnn.yaml")} + common).exitCode, 0);
    auto again = runReef(QStringList{"train", example("vision/mnist_cnn.yaml")} + common +
                         QStringList{"--set", "exp.resume=never"});
    QCOMPARE(again.exitCode, 1);
    QVERIFY(again.err.contains("exp.resume is never"));
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"

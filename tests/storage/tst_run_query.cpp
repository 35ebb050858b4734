// The run list the studio shows: filters (run fields, tags, spec keys, metric summaries, text),
// their error positions, sorting by params and summaries, columns, and diff-only compare.
#include "storage/metric_store.h"
#include "storage/run_query.h"
#include "storage/schema.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace reef;
using namespace reef::storage;

class TestRunQuery : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::unique_ptr<Database> db_;

  std::vector<std::string> ids(const std::string& filter, const std::string& sort = "run_id", bool desc = false) {
    std::vector<std::string> out;
    for (const auto& r : listRuns(*db_, {filter, sort, desc, {}, 0})) out.push_back(r.runId);
    return out;
  }

 private Q_SLOTS:
  void initTestCase() {
    db_ = std::make_unique<Database>(std::filesystem::path(dir_.path().toStdString()) / "q.db");
    migrate(*db_);
    struct R {
      const char* id;
      const char* name;
      const char* status;
      double lr;
      const char* arch;
      double acc;
    };
    const R runs[] = {{"r1", "mnist baseline", "completed", 1e-3, "cnn", 0.991},
                      {"r2", "mnist fast", "completed", 5e-4, "cnn", 0.985},
                      {"r3", "vit try", "failed", 2e-4, "vit", 0.60},
                      {"r4", "vit long", "running", 1e-2, "vit", 0.97}};
    MetricWriter w(*db_);
    const int64_t acc = w.keyId("val/acc");
    const int64_t loss = w.keyId("val/loss");
    auto run = db_->prepare("INSERT INTO runs(run_id, path, name, status, started) VALUES(?, ?, ?, ?, ?)");
    auto param = db_->prepare("INSERT INTO params(run_id, key, type, num, text) VALUES(?, ?, ?, ?, ?)");
    int i = 0;
    for (const auto& r : runs) {
      run.bind(1, r.id)
          .bind(2, std::string("/runs/") + r.id)
          .bind(3, r.name)
          .bind(4, r.status)
          .bind(5, 100.0 + i++)
          .run();
      const int64_t id = db_->lastInsertId();
      param.bind(1, id).bind(2, "optim.lr").bind(3, "float").bind(4, r.lr).bind(5, std::to_string(r.lr)).run();
      param.bind(1, id).bind(2, "model.arch").bind(3, "string").bindNull(4).bind(5, r.arch).run();
      param.bind(1, id).bind(2, "exp.seed").bind(3, "int").bind(4, 1.0).bind(5, "1").run();
      w.append(id, acc, {10, 0, r.acc - 0.1});
      w.append(id, acc, {20, 0, r.acc});
      w.append(id, loss, {20, 0, 1 - r.acc});
    }
    w.flush();
    db_->exec("INSERT INTO tags(run_id, tag) VALUES(1, 'baseline'), (4, 'long')");
    db_->exec("INSERT INTO notes(run_id, created, text) VALUES(3, 0, 'diverged after warm-up')");
  }

  void filtersOnRunFieldsParamsMetricsAndTags() {
    QCOMPARE(ids("status = completed"), (std::vector<std::string>{"r1", "r2"}));
    QCOMPARE(ids("optim.lr < 1e-3"), (std::vector<std::string>{"r2", "r3"}));
    QCOMPARE(ids("val/acc.max > 0.98"), (std::vector<std::string>{"r1", "r2"}));
    QCOMPARE(ids("val/acc.first > 0.88"), (std::vector<std::string>{"r1", "r2"}));
    QCOMPARE(ids("val/acc > 0.98"), (std::vector<std::string>{"r1", "r2"}));  // .last by default
    QCOMPARE(ids("model.arch = vit and not status = failed"), (std::vector<std::string>{"r4"}));
    QCOMPARE(ids("tag = baseline or tag = long"), (std::vector<std::string>{"r1", "r4"}));
    QCOMPARE(ids("tag != baseline"), (std::vector<std::string>{"r2", "r3", "r4"}));
    QCOMPARE(ids("(model.arch = cnn or optim.lr >= 0.01) and val/loss.min < 0.1"),
             (std::vector<std::string>{"r1", "r2", "r4"}));
    QCOMPARE(ids("name ~ mnist status=completed optim.lr > 6e-4"), (std::vector<std::string>{"r1"}));
    QCOMPARE(ids("optim.lr != 1e-3"), (std::vector<std::string>{"r2", "r3", "r4"}));
    QCOMPARE(ids("missing.key = 3"), std::vector<std::string>{});
  }

  void textSearchCoversNamesTagsAndNotes() {
    QCOMPARE(ids("\"warm-up\""), (std::vector<std::string>{"r3"}));
    QCOMPARE(ids("baseline"), (std::vector<std::string>{"r1"}));  // name and tag
    QCOMPARE(ids("long"), (std::vector<std::string>{"r4"}));
  }

  void sortsByParamsAndSummaries() {
    QCOMPARE(ids("", "optim.lr", false), (std::vector<std::string>{"r3", "r2", "r1", "r4"}));
    QCOMPARE(ids("", "val/acc.max", true), (std::vector<std::string>{"r1", "r2", "r4", "r3"}));
    QCOMPARE(ids("", "started", true), (std::vector<std::string>{"r4", "r3", "r2", "r1"}));
    const auto rows =
        listRuns(*db_, {"status = completed", "run_id", false, {"val/acc.max", "model.arch", "optim.lr"}, 0});
    QCOMPARE(rows.size(), size_t(2));
    QCOMPARE(rows[0].values[0].get<double>(), 0.991);
    QCOMPARE(rows[0].values[1].get<std::string>(), std::string("cnn"));
    QCOMPARE(rows[0].values[2].get<double>(), 1e-3);
    QCOMPARE(rows[0].tags, std::vector<std::string>{"baseline"});
  }

  void syntaxErrorsCarryTheirPosition() {
    const std::pair<const char*, size_t> cases[] = {{"status =", 9},        {"optim.lr < 1 and (tag = x", 26},
                                                    {"status = 'done", 10}, {"val/acc.median > 1", 1},
                                                    {"bogus = 1", 1},       {"status = x )", 12},
                                                    {"optim.lr ~ 3", 10},   {"status # 3", 8}};
    for (const auto& [expr, column] : cases) {
      try {
        compileFilter(expr);
        QFAIL(qPrintable(QString("no error for: %1").arg(expr)));
      } catch (const FilterError& e) {
        QVERIFY2(e.column() == column, qPrintable(QString("%1 -> %2 (%3)").arg(expr).arg(e.column()).arg(e.what())));
      }
    }
  }

  // Found by fuzzing: SQLite's parser has a fixed stack, so long chains compile flat and nesting
  // is limited, each with an error at its column rather than a database error.
  void longFiltersRunAndDeepOnesAreRefused() {
    std::string anyOf = "status = completed", allOf = "status = completed";
    for (int i = 0; i < 300; ++i) anyOf += " or status = completed", allOf += " and status != nonesuch";
    const size_t completed = listRuns(*db_, {"status = completed"}).size();
    QCOMPARE(listRuns(*db_, {anyOf}).size(), completed);
    QCOMPARE(listRuns(*db_, {allOf}).size(), completed);
    auto nested = [](int levels) {  // each "not (" nests twice
      std::string f = "status = completed";
      for (int i = 0; i < levels / 2; ++i) f = "not (" + f + ")";
      return f;
    };
    listRuns(*db_, {nested(12)});
    try {
      compileFilter(nested(14));
      QFAIL("14 levels of nesting accepted");
    } catch (const FilterError& e) {
      QVERIFY2(QString(e.what()).contains("12 levels"), e.what());
    }
  }

  void diffShowsOnlyDifferingParams() {
    const auto d = differingParams(*db_, {1, 2, 3});
    QCOMPARE(d.size(), size_t(2));  // model.arch and optim.lr differ; exp.seed does not
    QCOMPARE(d[0].key, std::string("model.arch"));
    QCOMPARE(*d[0].values[2], std::string("vit"));
    QCOMPARE(d[1].key, std::string("optim.lr"));
    QVERIFY(differingParams(*db_, {1, 2}).size() == 1);
  }

  void seriesByKeyName() {
    QCOMPARE(runSeries(*db_, 1, "val/acc", 100).size(), size_t(2));
    QVERIFY(runSeries(*db_, 1, "no/such", 100).empty());
    QCOMPARE(metricKeys(*db_), (std::vector<std::string>{"val/acc", "val/loss"}));
  }
};

QTEST_APPLESS_MAIN(TestRunQuery)
#include "tst_run_query.moc"

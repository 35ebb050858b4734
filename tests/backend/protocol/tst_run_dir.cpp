// Run directories: generated ids, layout, and which checkpoint folders count as complete.
#include "backend/protocol/run_dir.h"

#include <QtTest>

#include <set>

using namespace reef::protocol;
namespace fs = std::filesystem;

class TestRunDir : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void idsAreUniqueAndPathSafe() {
    std::set<std::string> ids;
    for (int i = 0; i < 200; ++i) {
      const std::string id = RunDir::newRunId();
      QVERIFY(id.find_first_not_of("0123456789abcdef-") == std::string::npos);
      ids.insert(id);
    }
    QVERIFY(ids.size() > 190);
  }

  void createMakesTheLayout() {
    QTemporaryDir dir;
    RunDir run = RunDir::create(dir.path().toStdString());
    QCOMPARE(run.root().parent_path().filename().string(), std::string("runs"));
    QVERIFY(fs::is_directory(run.checkpoints()));
    QVERIFY(fs::is_directory(run.logs()));
    QCOMPARE(run.rankLog(3).filename().string(), std::string("rank-3.log"));
  }

  void onlyCompleteCheckpointFoldersCount() {
    QTemporaryDir dir;
    RunDir run(dir.path().toStdString());
    run.createLayout();
    for (const char* name : {"step-10", "step-2", ".incomplete-step-30", "step-x", "step-", "notes"})
      fs::create_directories(run.checkpoints() / name);
    QCOMPARE(run.checkpointSteps(), (std::vector<int64_t>{2, 10}));
    QCOMPARE(parseCheckpointDirName("step-42").value(), int64_t(42));
    QVERIFY(!parseCheckpointDirName("step-99999999999999999999"));
  }
};

QTEST_APPLESS_MAIN(TestRunDir)
#include "tst_run_dir.moc"

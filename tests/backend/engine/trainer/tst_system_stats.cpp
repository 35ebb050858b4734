// The trainer's system samples: CPU and memory from /proc, and GPU utilisation and memory from
// nvidia-smi where the machine has it (here a stand-in script on the same command line), queried
// in the background so a step never waits; its output read line by line, unreadable lines left
// out; CUDA_VISIBLE_DEVICES narrowing the query to the run's GPUs.
#include "backend/engine/trainer/gpu_stats.h"
#include "backend/engine/trainer/system_stats.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using namespace reef;
using namespace reef::engine;

namespace {

// A stand-in nvidia-smi that records its arguments and prints what a two-GPU machine prints.
QString fakeNvidiaSmi(const QTemporaryDir& dir) {
  const QString path = dir.filePath("nvidia-smi");
  QFile script(path);
  script.open(QIODevice::WriteOnly);
  script.write(QString("#!/bin/sh\necho \"$@\" > '%1'\nprintf '0, 37, 1024, 81559\\n1, 5, 10, 81559\\n'\n")
                   .arg(dir.filePath("args"))
                   .toUtf8());
  script.close();
  script.setPermissions(script.permissions() | QFileDevice::ExeOwner);
  return path;
}

// Samples until the background query has come back (the first sample may not have it yet).
Json sampleWithGpus(SystemStats& stats) {
  for (int i = 0; i < 100; ++i) {
    Json s = stats.sample(i);
    if (s.contains("gpu0_util_percent")) return s;
    QTest::qWait(50);
  }
  return Json::object();
}

}  // namespace

class TestSystemStats : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void nvidiaSmiOutputIsReadPerGpu() {
    const Json f = parseNvidiaSmi("0, 37, 1024, 81559\n1, [N/A], 10, 81559\n 2 ,100, 80000.5 , 81559 \n");
    QCOMPARE(f["gpu0_util_percent"].get<double>(), 37.0);
    QCOMPARE(f["gpu0_mem_used_mb"].get<double>(), 1024.0);
    QCOMPARE(f["gpu0_mem_total_mb"].get<double>(), 81559.0);
    QVERIFY(!f.contains("gpu1_util_percent"));  // [N/A]: left out, never a wrong number
    QCOMPARE(f["gpu2_mem_used_mb"].get<double>(), 80000.5);
    QVERIFY(parseNvidiaSmi("No devices were found\n").empty());
  }

  void samplesCarryCpuMemoryAndTheGpus() {
    QTemporaryDir dir;
    qputenv("CUDA_VISIBLE_DEVICES", "1,0");
    SystemStats stats(fakeNvidiaSmi(dir).toStdString());
    const Json s = sampleWithGpus(stats);
    qunsetenv("CUDA_VISIBLE_DEVICES");
    QVERIFY(s.contains("cpu_percent") && s["rss_mb"].get<double>() > 0);
    QVERIFY(s["mem_used_percent"].get<double>() > 0 && s["mem_used_percent"].get<double>() < 100);
    QCOMPARE(s["gpu0_util_percent"].get<double>(), 37.0);
    QCOMPARE(s["gpu1_mem_used_mb"].get<double>(), 10.0);
    QFile args(dir.filePath("args"));
    QVERIFY(args.open(QIODevice::ReadOnly));
    const QString asked = QString::fromUtf8(args.readAll());
    QVERIFY2(asked.contains("--query-gpu=index,utilization.gpu,memory.used,memory.total"), qPrintable(asked));
    QVERIFY2(asked.contains("--id=1,0"), qPrintable(asked));
  }

  void withoutNvidiaSmiThereAreNoGpuFields() {
    GpuStats none("reef-test-no-such-program");
    QVERIFY(!none.available());
    QVERIFY(none.take().empty());
    SystemStats stats("reef-test-no-such-program");
    const Json s = stats.sample(3);
    QCOMPARE(s["step"].get<int>(), 3);
    QVERIFY(!s.contains("gpu0_util_percent"));
  }
};

QTEST_MAIN(TestSystemStats)
#include "tst_system_stats.moc"

// What the cluster backends say to a shell and to Slurm, and what they read back, without a
// cluster: quoting checked by a real /bin/sh (spaces, quotes, `;`, `$(...)`, backquotes, line
// breaks come back as typed and nothing runs), the batch script and sbatch line, job ids and
// states from sbatch, squeue and sacct output, the resources' layering (profile, spec, command
// line), and cluster profiles (validation, the file, a broken
// file named).
#include "backend/cluster/cluster_profile.h"
#include "backend/cluster/shell_quote.h"
#include "backend/cluster/slurm_job.h"

#include <QDir>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <fstream>

using namespace reef;
using namespace reef::cluster;

namespace {

ClusterProfile sample() {
  ClusterProfile p;
  p.name = "gpu-cluster";
  p.host = "login.example.org";
  p.user = "ada";
  p.remoteWorkspace = "/scratch/ada/reef runs";
  p.partition = "gpu";
  p.account = "proj; rm -rf ~";
  p.environment = {"module load cuda/12.4"};
  return p;
}

}  // namespace

class TestClusterText : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void quotingSurvivesARealShell_data() {
    QTest::addColumn<QString>("word");
    QTest::newRow("space") << "a b";
    QTest::newRow("quotes") << "it's \"quoted\"";
    QTest::newRow("semicolon") << "x; touch pwned";
    QTest::newRow("substitution") << "$(touch pwned)";
    QTest::newRow("backquotes") << "`touch pwned`";
    QTest::newRow("variables and globs") << "$HOME/* ~ \\n";
    QTest::newRow("line break") << "two\nlines";
    QTest::newRow("empty") << "";
  }

  void quotingSurvivesARealShell() {
    QFETCH(QString, word);
    QTemporaryDir dir;
    QProcess sh;
    sh.setWorkingDirectory(dir.path());
    sh.start("/bin/sh", {"-c", QString::fromStdString("printf %s " + shellQuote(word.toStdString()))});
    QVERIFY(sh.waitForFinished());
    QCOMPARE(QString::fromUtf8(sh.readAllStandardOutput()), word);
    QVERIFY(!QFile::exists(dir.filePath("pwned")));
    // Several words stay several words, each exactly itself.
    QProcess args;
    args.start("/bin/sh", {"-c", QString::fromStdString("printf '[%s]' " + shellCommand({word.toStdString(), "b c"}))});
    QVERIFY(args.waitForFinished());
    QCOMPARE(QString::fromUtf8(args.readAllStandardOutput()), "[" + word + "][b c]");
  }

  void theBatchScriptAndCommand() {
    const ClusterProfile p = sample();
    const std::string run = "/scratch/ada/reef runs/runs/20261127-000000-abcdef";
    const std::string script = sbatchScript(p, JobResources::of(p), run, {"optim.lr=0.01", "exp.name=it's mine"});
    QVERIFY(script.rfind("#!/bin/bash\n", 0) == 0);
    QVERIFY(script.find("module load cuda/12.4\n") != std::string::npos);
    QVERIFY(script.find("export MASTER_PORT=$((20000 + SLURM_JOB_ID % 20000))") != std::string::npos);
    QVERIFY2(script.find("'srun' '--kill-on-bad-exit=1' 'reef' 'train' 'spec.yaml' '--run-dir' '" + run +
                         "' '--plain' '--set' 'optim.lr=0.01' "
                         "'--set' 'exp.name=it'\\''s mine'") != std::string::npos,
             script.c_str());
    const std::string command = sbatchCommand(p, JobResources::of(p), run, "reef-x");
    QVERIFY2(command.find("'--account=proj; rm -rf ~'") != std::string::npos, command.c_str());
    QVERIFY(command.find("'--partition=gpu'") != std::string::npos);
    QVERIFY(command.find("'--output=" + run + "/logs/slurm-%j.out'") != std::string::npos);
    QVERIFY(command.find("'--requeue'") != std::string::npos);
    QVERIFY(command.find("'--open-mode=append'") != std::string::npos);  // a requeue keeps the failure's output
    QVERIFY(command.find("gpus-per-node") == std::string::npos);         // none asked for
    JobResources gpus = JobResources::of(p);
    gpus.nodes = 2;
    gpus.gpusPerNode = 8;
    gpus.memory = "64G";
    const std::string big = sbatchCommand(p, gpus, run, "reef-x");
    for (const char* part : {"'--nodes=2'", "'--gpus-per-node=8'", "'--mem=64G'", "'--time=01:00:00'"})
      QVERIFY2(big.find(part) != std::string::npos, part);
  }

  // The script as bash runs it on the first node of a GPU job, with srun standing in to record
  // what each task would get: NCCL's and Gloo's interface, NCCL's error handling, the rendezvous
  // port, every GPU of the node visible to every task (which takes GPU SLURM_LOCALID).
  void aGpuJobSetsWhatNcclNeeds() {
    ClusterProfile p = sample();
    p.environment = {};
    p.networkInterface = "ib0";
    QTemporaryDir dir;
    const std::string run = dir.filePath("run dir").toStdString();
    QDir().mkpath(QString::fromStdString(run));
    JobResources r = JobResources::of(p);
    r.nodes = 2;
    r.tasksPerNode = 4;
    r.gpusPerNode = 4;
    std::ofstream(run + "/job.sh") << sbatchScript(p, r, run, {"optim.lr=0.01"});
    std::ofstream(dir.filePath("srun").toStdString())
        << "#!/bin/sh\nprintf '%s|' \"$@\" > args.txt\n"
           "env | grep -E '^(MASTER_PORT|GLOO_|NCCL_|TORCH_NCCL_)' | sort > env.txt\n";
    QFile::setPermissions(dir.filePath("srun"), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    QProcess bash;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("PATH", dir.path() + ":" + env.value("PATH"));
    env.insert("SLURM_JOB_ID", "12345");
    bash.setProcessEnvironment(env);
    bash.start("/bin/bash", {QString::fromStdString(run + "/job.sh")});
    QVERIFY(bash.waitForFinished());
    QCOMPARE(bash.exitCode(), 0);
    QFile args(QString::fromStdString(run + "/args.txt")), vars(QString::fromStdString(run + "/env.txt"));
    QVERIFY(args.open(QIODevice::ReadOnly) && vars.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(args.readAll()),
             QString::fromStdString("--kill-on-bad-exit=1|--gpu-bind=none|reef|train|spec.yaml|--run-dir|" + run +
                                    "|--plain|--set|optim.lr=0.01|"));
    QCOMPARE(QString::fromUtf8(vars.readAll()),
             "GLOO_SOCKET_IFNAME=ib0\nMASTER_PORT=32345\nNCCL_ASYNC_ERROR_HANDLING=1\nNCCL_SOCKET_IFNAME=ib0\n"
             "TORCH_NCCL_ASYNC_ERROR_HANDLING=1\n");
    const std::string command = sbatchCommand(p, r, run, "reef-x");
    for (const char* part : {"'--nodes=2'", "'--ntasks-per-node=4'", "'--gpus-per-node=4'"})
      QVERIFY2(command.find(part) != std::string::npos, part);
    // NCCL refuses two ranks on one GPU: said before anything is queued.
    r.tasksPerNode = 8;
    try {
      sbatchCommand(p, r, run, "reef-x");
      QFAIL("8 tasks on 4 GPUs were accepted");
    } catch (const std::runtime_error& e) {
      QVERIFY2(std::string(e.what()).find("tasks_per_node is 8 but gpus_per_node is 4") != std::string::npos, e.what());
    }
    // A CPU job leaves NCCL alone and binds nothing.
    const std::string cpu = sbatchScript(p, JobResources::of(p), run, {});
    QVERIFY(cpu.find("NCCL_ASYNC") == std::string::npos && cpu.find("gpu-bind") == std::string::npos);
    p.networkInterface = "ib0; rm -rf /";
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, p.validate());
  }

  void resourcesLayerProfileSpecCommandLine() {
    ClusterProfile p = sample();
    p.nodes = 2;
    p.gpusPerNode = 4;
    p.memory = "32G";
    JobResources r = JobResources::of(p);
    r.apply(JobResources::fromSpec(Json::parse(R"({"resources": {"gpus_per_node": 8, "time_limit": "02:00:00"}})")));
    JobResources commandLine;
    commandLine.nodes = 4;
    r.apply(commandLine);
    QCOMPARE(r.nodes, 4);        // command line
    QCOMPARE(r.gpusPerNode, 8);  // spec
    QCOMPARE(r.timeLimit, std::string("02:00:00"));
    QCOMPARE(r.memory, std::string("32G"));  // profile
    QCOMPARE(r.tasksPerNode, 1);
    r.apply(JobResources::fromSpec(Json::parse(R"({"model": {}})")));  // no resources: nothing changes
    QCOMPARE(r.gpusPerNode, 8);
  }

  void slurmOutputIsRead() {
    QCOMPARE(parseJobId("4242\n"), std::string("4242"));
    QCOMPARE(parseJobId("4242;cluster\n"), std::string("4242"));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, parseJobId("sbatch: error: invalid partition"));
    QCOMPARE(parseSqueue("RUNNING\n").state, std::string("RUNNING"));
    QVERIFY(!parseSqueue("PENDING\n").finished);
    QCOMPARE(parseSqueue("").state, std::string("UNKNOWN"));
    const JobState failed = parseSacct("41|COMPLETED|0:0\n42|FAILED|1:0\n42.batch|FAILED|1:0\n", "42");
    QVERIFY(failed.finished && failed.failed);
    QCOMPARE(failed.exitCode, std::string("1:0"));
    const JobState cancelled = parseSacct("42|CANCELLED by 0|0:15\n", "42");
    QCOMPARE(cancelled.state, std::string("CANCELLED"));
    QVERIFY(cancelled.failed);
    const JobState requeued = parseSacct("42|NODE_FAIL|0:0\n42|COMPLETED|0:0\n", "42");
    QVERIFY(requeued.finished && !requeued.failed);
    // Seen in the queue, a preempted --requeue job is on its way back, not over.
    QVERIFY(!parseSqueue("PREEMPTED\n").finished);
    QVERIFY(parseSacct("42|PREEMPTED|0:0\n", "42").finished);
  }

  void profilesAreCheckedAndKept() {
    QTemporaryDir dir;
    ClusterProfiles profiles(dir.filePath("clusters.json").toStdString());
    profiles.put(sample());
    ClusterProfile other = sample();
    other.name = "other";
    other.scheduler = "ssh";
    profiles.put(other);
    ClusterProfiles reread(dir.filePath("clusters.json").toStdString());
    QCOMPARE(reread.all().size(), size_t(2));
    QCOMPARE(reread.get("gpu-cluster").account, std::string("proj; rm -rf ~"));
    QCOMPARE(reread.get("gpu-cluster").environment, sample().environment);
    QVERIFY(reread.remove("other"));
    QCOMPARE(ClusterProfiles(dir.filePath("clusters.json").toStdString()).all().size(), size_t(1));
    try {
      reread.get("nope");
      QFAIL("expected an error");
    } catch (const std::runtime_error& e) {
      QVERIFY2(QString(e.what()).contains("known: gpu-cluster"), e.what());
    }
    const std::vector<std::pair<std::function<void(ClusterProfile&)>, QString>> broken = {
        {[](ClusterProfile& p) { p.name = "../etc"; }, "use 1 to 64 letters"},
        {[](ClusterProfile& p) { p.host.clear(); }, "host is empty"},
        {[](ClusterProfile& p) { p.port = 70000; }, "port 70000"},
        {[](ClusterProfile& p) { p.remoteWorkspace = "relative"; }, "must be an absolute path"},
        {[](ClusterProfile& p) { p.scheduler = "pbs"; }, "scheduler 'pbs'"},
        {[](ClusterProfile& p) { p.environment = {"a\nb"}; }, "line break"},
        {[](ClusterProfile& p) { p.remoteWorkspace = "/scratch/a\n#SBATCH --x"; }, "control characters"},
        {[](ClusterProfile& p) { p.remoteWorkspace = "/scratch/100%"; }, "'%'"},
    };
    for (const auto& [edit, expect] : broken) {
      ClusterProfile p = sample();
      edit(p);
      try {
        p.validate();
        QFAIL(qPrintable("accepted: " + expect));
      } catch (const std::runtime_error& e) {
        QVERIFY2(QString(e.what()).contains(expect), e.what());
      }
    }
    std::ofstream(dir.filePath("bad.json").toStdString()) << "{\"clusters\": [{\"port\": \"22\"}]}";
    try {
      ClusterProfiles bad(dir.filePath("bad.json").toStdString());
      QFAIL("expected an error");
    } catch (const std::runtime_error& e) {
      QVERIFY2(QString(e.what()).contains("cluster 1: 'port' must be an integer"), e.what());
    }
  }
};

QTEST_GUILESS_MAIN(TestClusterText)
#include "tst_cluster_text.moc"

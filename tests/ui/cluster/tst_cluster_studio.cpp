// The studio's cluster parts against real sshd and Slurm started here on 127.0.0.1: the profiles
// editor saves a profile and its "Test connection" asks about the unknown host key (with its
// fingerprint) and then reports Slurm's version and partitions and the remote reef; the designer
// launches a run on the cluster, a follower process copies its events, and the run reaches the
// index as completed with its job shown in the runs table; a job that fails on the cluster shows
// its error in the run details.
#include "backend/protocol/spec.h"
#include "backend/protocol/yaml_json.h"
#include "storage/run_query.h"
#include "storage/workspace_index.h"
#include "tests/backend/cluster/cluster_fixture.h"
#include "ui/cluster/cluster_dialog.h"
#include "ui/designer/designer_widget.h"
#include "ui/engine_client.h"
#include "ui/runs/run_details.h"
#include "ui/runs/runs_model.h"
#include "ui/workspace_session.h"

#include <QComboBox>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QSignalSpy>
#include <QtTest>

using namespace reef;
using namespace reef::ui;
using namespace reef::test;

class TestClusterStudio : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  std::unique_ptr<SshServer> ssh_;
  std::unique_ptr<SlurmCluster> slurm_;

  // Launches the short MNIST spec on `cluster` from the designer and waits until the index says
  // the run finished; returns its directory.
  QString launchAndWait(const QString& cluster, const QString& workspace) {
    DesignerWidget designer(loadCatalog(REEF_BINARY), REEF_BINARY);
    designer.setWorkspace(workspace);
    designer.setClusters({"local", "broken"});
    designer.target()->setCurrentIndex(designer.target()->findData(cluster));
    Json spec =
        protocol::loadSpecFile(QString(REEF_SOURCE_DIR "/resources/examples/vision/mnist_cnn.yaml").toStdString());
    spec["trainer"]["max_steps"] = 200;
    spec["trainer"]["val_interval"] = 100;
    spec["data"]["workers"] = 0;
    designer.loadSpec(spec, "test");
    QSignalSpy launched(&designer, &DesignerWidget::launched);
    designer.launch();
    if (launched.isEmpty()) return {};
    const QString run = launched.first().first().toString();
    WorkspaceSession session(workspace);
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 240000) {
      session.index().syncRun(run.toStdString());
      const Json d = storage::runDetails(session.index().db(), session.index().resolveRun(run.toStdString()));
      const std::string status = d["run"]["status"].get<std::string>();
      if (status == "completed" || status == "failed" || status == "cancelled") break;
      QTest::qWait(500);
    }
    return run;
  }

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    qputenv("REEF_CONFIG_DIR", dir_.filePath("config").toUtf8());
    slurm_ = std::make_unique<SlurmCluster>(dir_.filePath("slurm"));
    ssh_ = std::make_unique<SshServer>(dir_.filePath("ssh"), QStringList{"SLURM_CONF=" + slurm_->conf()});
    slurm_->start();
    ssh_->start();
  }

  void profilesEditorTestsTheConnection() {
    ClusterDialog dialog(REEF_BINARY);
    QString askedAbout;
    dialog.confirmHostKey = [&](const QString&, const QString& fingerprint) {
      askedAbout = fingerprint;
      return true;
    };
    const std::map<QString, QString> values = {{"name", "local"},
                                               {"host", "127.0.0.1"},
                                               {"port", QString::number(ssh_->port())},
                                               {"user", "root"},
                                               {"key_file", ssh_->userKey()},
                                               {"known_hosts", dir_.filePath("known_hosts")},
                                               {"remote_workspace", dir_.filePath("remote")},
                                               {"reef_path", REEF_BINARY}};
    for (const auto& [key, value] : values) dialog.field(key)->setText(value);
    dialog.findChild<QPlainTextEdit*>()->setPlainText("export REEF_DATA=" +
                                                      qEnvironmentVariable("REEF_DATA", REEF_SOURCE_DIR "/data"));
    QSignalSpy tested(&dialog, &ClusterDialog::tested);
    dialog.testConnection();
    QVERIFY(tested.wait(60000));
    QVERIFY2(tested.first().first().toBool(), qPrintable(dialog.report()->toPlainText()));
    QVERIFY2(askedAbout.startsWith("SHA256:"), qPrintable(askedAbout));
    const QString report = dialog.report()->toPlainText();
    QVERIFY2(report.contains("22.05") && report.contains("debug*") && report.contains("auth: key file") &&
                 report.contains("reef: reef "),
             qPrintable(report));
    QCOMPARE(dialog.profiles()->count(), 1);
    // A profile that cannot work is refused with the reason, and nothing is saved.
    dialog.field("remote_workspace")->setText("relative/path");
    QVERIFY(!dialog.save());
    QVERIFY2(dialog.report()->toPlainText().contains("must be an absolute path"),
             qPrintable(dialog.report()->toPlainText()));
    // The broken profile of the last test: an engine that is not there.
    cluster::ClusterProfile broken = cluster::ClusterProfiles().get("local");
    broken.name = "broken";
    broken.reefPath = "/nonexistent/reef";
    cluster::ClusterProfiles().put(broken);
  }

  void designerLaunchesOnTheCluster() {
    const QString workspace = dir_.filePath("workspace");
    const QString run = launchAndWait("local", workspace);
    QVERIFY(!run.isEmpty());
    WorkspaceSession session(workspace);
    session.index().syncRun(run.toStdString());
    const Json d = storage::runDetails(session.index().db(), session.index().resolveRun(run.toStdString()));
    QCOMPARE(d["run"]["status"].get<std::string>(), std::string("completed"));
    // The follower records Slurm's last word when Slurm has let go of the job (a moment after the
    // engine's run_finished).
    RunsModel model(session.index());
    QString where;
    for (int waited = 0; waited < 30000 && !where.endsWith(": COMPLETED"); waited += 500) {
      model.refresh();
      QCOMPARE(model.rowCount(), 1);
      where = model.data(model.index(0, RunsModel::Where), Qt::DisplayRole).toString();
      QTest::qWait(500);
    }
    QVERIFY2(where.startsWith("local job ") && where.endsWith(": COMPLETED"), qPrintable(where));
  }

  void aFailedJobShowsItsErrorInTheDetails() {
    const QString workspace = dir_.filePath("workspace2");
    const QString run = launchAndWait("broken", workspace);
    QVERIFY(!run.isEmpty());
    WorkspaceSession session(workspace);
    session.index().syncRun(run.toStdString());
    const protocol::Catalog catalog = loadCatalog(REEF_BINARY);
    RunDetails details(session, &catalog);
    details.setRun(session.index().resolveRun(run.toStdString()));
    const QString title = details.title()->text();
    QVERIFY2(title.contains("failed") && title.contains("FAILED") && title.contains("/nonexistent/reef"),
             qPrintable(title));
  }
};

QTEST_MAIN(TestClusterStudio)
#include "tst_cluster_studio.moc"

// The retrieval grid of a multimodal/clip run: the parser of `reef retrieve --json` (with broken
// fixtures), and the view against the real engine: a short CLIP run trained here, its Retrieval
// tab shown, a typed query answered with images ranked by similarity, and an engine failure shown
// with the engine's own message.
#include "storage/workspace_index.h"
#include "ui/engine_client.h"
#include "ui/runs/retrieval_results.h"
#include "ui/runs/retrieval_view.h"
#include "ui/runs/run_details.h"
#include "ui/workspace_session.h"

#include <QBuffer>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QtTest>

using namespace reef;
using namespace reef::ui;

namespace {

QString pngBase64() {
  QImage image(4, 4, QImage::Format_RGB32);
  image.fill(Qt::red);
  QByteArray bytes;
  QBuffer buffer(&bytes);
  buffer.open(QIODevice::WriteOnly);
  image.save(&buffer, "PNG");
  return QString::fromLatin1(bytes.toBase64());
}

}  // namespace

class TestRetrievalView : public QObject {
  Q_OBJECT
  QTemporaryDir workspace_;
  QString runPath_;

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QProcess train;
    train.setProcessChannelMode(QProcess::MergedChannels);
    train.start(REEF_BINARY,
                {"train", QStringLiteral(REEF_SOURCE_DIR) + "/resources/examples/multimodal/clip.yaml", "--workspace",
                 workspace_.path(), "--run-dir", workspace_.filePath("runs/clip"), "--plain", "--set",
                 "trainer.max_steps=40", "--set", "trainer.val_interval=40", "--set", "data.batch_size=128"});
    QVERIFY(train.waitForFinished(240000));
    QVERIFY2(train.exitCode() == 0, train.readAll().constData());
    runPath_ = workspace_.filePath("runs/clip");
  }

  void parsesResults() {
    const QString json = QString(R"({"query":"q","split":"test","results":[
      {"rank":1,"score":0.9,"text":"red heart","source":"emoji","image":"emoji/2764.png","png":"%1"},
      {"rank":2,"score":0.5,"text":"blue heart","source":"emoji","image":"emoji/1f499.png","png":"%1"}]})")
                             .arg(pngBase64());
    const auto results = parseRetrievalResults(json.toUtf8());
    QCOMPARE(results.size(), size_t(2));
    QCOMPARE(results[0].text, QString("red heart"));
    QCOMPARE(results[1].score, 0.5);
    QCOMPARE(results[0].picture.size(), QSize(4, 4));
  }

  void brokenResultsAreNamed_data() {
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("expect");
    QTest::newRow("not json") << "oops"
                              << "no {\"results\"";
    QTest::newRow("no png") << R"({"results":[{"rank":1,"score":0.9,"text":"x"}]})"
                            << "result 1 of reef retrieve lacks";
    QTest::newRow("bad png") << R"({"results":[{"rank":1,"score":0.9,"text":"x","png":"AAAA"}]})"
                             << "no readable PNG";
  }

  void brokenResultsAreNamed() {
    QFETCH(QString, json);
    QFETCH(QString, expect);
    try {
      parseRetrievalResults(json.toUtf8());
      QFAIL("expected an error");
    } catch (const std::runtime_error& e) {
      QVERIFY2(QString(e.what()).contains(expect), e.what());
    }
  }

  void aTypedQueryShowsRankedImages() {
    WorkspaceSession session(workspace_.path());
    session.index().syncRun(runPath_.toStdString());
    const protocol::Catalog catalog = loadCatalog(REEF_BINARY);
    RunDetails details(session, &catalog, REEF_BINARY);
    details.setRun(session.index().resolveRun(runPath_.toStdString()));
    QTabWidget* tabs = details.tabs();
    QVERIFY(tabs->isTabVisible(tabs->indexOf(details.retrieval())));
    QVERIFY(!tabs->isTabVisible(tabs->indexOf(details.predictions())));

    RetrievalView* view = details.retrieval();
    QSignalSpy done(view, &RetrievalView::searchFinished);
    view->query()->setText("a photo of a light wide sneaker");
    QTest::keyClick(view->query(), Qt::Key_Return);
    QVERIFY(done.wait(60000));
    QVERIFY2(done.first().first().toBool(), qPrintable(view->status()->text()));
    QListWidget* grid = view->results();
    QCOMPARE(grid->count(), 24);
    double previous = 2;
    for (int i = 0; i < grid->count(); ++i) {
      QVERIFY(!grid->item(i)->icon().isNull());
      const double score = grid->item(i)->text().section('\n', 1).toDouble();
      QVERIFY2(score <= previous, qPrintable(grid->item(i)->text()));
      previous = score;
    }
    // A model trained for 40 steps already tells garments from emoji: the best match is a garment.
    QVERIFY2(grid->item(0)->toolTip().contains("(fashion)"), qPrintable(grid->item(0)->toolTip()));
  }

  void engineFailuresAreShown() {
    RetrievalView view(REEF_BINARY);
    view.setRun(workspace_.filePath("runs/none"));
    QSignalSpy done(&view, &RetrievalView::searchFinished);
    view.search("anything");
    QVERIFY(done.wait(30000));
    QCOMPARE(done.first().first().toBool(), false);
    QVERIFY2(view.status()->text().contains("reef retrieve failed") && view.status()->text().contains("runs/none"),
             qPrintable(view.status()->text()));
  }
};

QTEST_MAIN(TestRetrievalView)
#include "tst_retrieval_view.moc"

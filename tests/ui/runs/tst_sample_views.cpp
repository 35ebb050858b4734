// The run details' sample views for the NLP collection, from the artifacts an evaluation writes:
// the text predictions table (wrong first, in red) and the restored text with the differences
// from the original marked; tabs without artifacts stay hidden.
#include "storage/workspace_index.h"
#include "tests/ui/studio_fixture.h"
#include "ui/engine_client.h"
#include "ui/runs/run_details.h"
#include "ui/workspace_session.h"

#include <QListWidget>
#include <QStandardPaths>
#include <QTabWidget>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTextBrowser>
#include <QtTest>

using namespace reef;
using namespace reef::ui;

class TestSampleViews : public QObject {
  Q_OBJECT
 private Q_SLOTS:
  void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

  // Each view shows the artifact its model's catalog capabilities name: a text classifier's
  // predictions, a punctuation model's restored text.
  void textPredictionsAndRestoredText() {
    QTemporaryDir dir;
    const auto texts = test::writeRun(dir.path().toStdString(), "r1", "texts", 0.001, 0.8, 50, "nlp/bow");
    const auto marks = test::writeRun(dir.path().toStdString(), "r2", "marks", 0.001, 0.8, 50, "nlp/punctuation");
    std::filesystem::create_directories(texts / "artifacts");
    std::filesystem::create_directories(marks / "artifacts");
    std::ofstream(texts / "artifacts/test_text_predictions.json")
        << R"([{"text":"Unix is user friendly","truth":"computers","predicted":"politics","confidence":0.91,"correct":false},
               {"text":"Vote early","truth":"politics","predicted":"politics","confidence":0.7,"correct":true}])";
    std::ofstream(marks / "artifacts/test_punctuation_samples.json")
        << R"([{"words":[{"text":"what","capital":true,"truth_capital":true,"mark":"","truth_mark":""},
                         {"text":"time","capital":false,"truth_capital":false,"mark":".","truth_mark":"?"},
                         {"text":"bob","capital":false,"truth_capital":true,"mark":"","truth_mark":""}]}])";
    test::appendEvents(
        texts,
        R"({"v":1,"t":"artifact","time":1.9e9,"kind":"text_predictions","path":"artifacts/test_text_predictions.json"}
)");
    test::appendEvents(
        marks,
        R"({"v":1,"t":"artifact","time":1.9e9,"kind":"punctuation_samples","path":"artifacts/test_punctuation_samples.json"}
)");
    WorkspaceSession session(dir.path());
    session.index().syncRun(texts.string());
    session.index().syncRun(marks.string());
    const protocol::Catalog catalog = loadCatalog(REEF_BINARY);
    RunDetails details(session, &catalog);
    QTabWidget* tabs = details.tabs();
    details.setRun(session.index().resolveRun(texts.string()));

    QTableWidget* table = details.textPredictions();
    QCOMPARE(table->rowCount(), 2);
    QCOMPARE(table->item(0, 3)->text(), QString("Unix is user friendly"));
    QCOMPARE(table->item(0, 2)->text(), QString("politics"));
    QCOMPARE(table->item(0, 0)->foreground().color(), QColor("#c22"));
    QCOMPARE(table->item(1, 0)->foreground().color(), QColor("#2a7a2a"));
    QVERIFY(tabs->isTabVisible(tabs->indexOf(table)));
    QVERIFY(!tabs->isTabVisible(tabs->indexOf(details.restoredText())));
    QVERIFY(!tabs->isTabVisible(tabs->indexOf(details.predictions())));  // no image samples

    details.setRun(session.index().resolveRun(marks.string()));
    const QString html = details.restoredText()->toHtml();
    const QString plain = details.restoredText()->toPlainText();
    QVERIFY2(plain.contains("What time./? bob"), qPrintable(plain));  // wrong mark shown as predicted/original
    QVERIFY2(html.contains("#cc2222"), qPrintable(html));             // Qt writes #c22 back as #cc2222
    QVERIFY(tabs->isTabVisible(tabs->indexOf(details.restoredText())));
    QVERIFY(!tabs->isTabVisible(tabs->indexOf(table)));
  }

  // An artifact the run's model does not declare is listed, but no view shows it.
  void undeclaredArtifactsGetNoView() {
    QTemporaryDir dir;
    const auto run = test::writeRun(dir.path().toStdString(), "r1", "digits", 0.001, 0.8);  // vision/cnn
    std::filesystem::create_directories(run / "artifacts");
    std::ofstream(run / "artifacts/test_text_predictions.json") << "[]";
    test::appendEvents(
        run,
        R"({"v":1,"t":"artifact","time":1.9e9,"kind":"text_predictions","path":"artifacts/test_text_predictions.json"}
)");
    WorkspaceSession session(dir.path());
    session.index().syncRun(run.string());
    const protocol::Catalog catalog = loadCatalog(REEF_BINARY);
    RunDetails details(session, &catalog);
    details.setRun(session.index().resolveRun(run.string()));
    QVERIFY(!details.tabs()->isTabVisible(details.tabs()->indexOf(details.textPredictions())));
  }
};

QTEST_MAIN(TestSampleViews)
#include "tst_sample_views.moc"
